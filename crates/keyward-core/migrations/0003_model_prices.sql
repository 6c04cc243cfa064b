-- The price table finance edits: per model, the price of one million input tokens and
-- of one million output tokens, in millionths of the currency unit (integers, so
-- spend = tokens × price is exact), and the ISO 4217 currency code.
CREATE TABLE model_prices (
    model                       TEXT PRIMARY KEY NOT NULL,
    input_micros_per_million    INTEGER NOT NULL CHECK (input_micros_per_million >= 0),
    output_micros_per_million   INTEGER NOT NULL CHECK (output_micros_per_million >= 0),
    currency                    TEXT NOT NULL CHECK (length(currency) = 3),
    updated_at                  TEXT NOT NULL
);
