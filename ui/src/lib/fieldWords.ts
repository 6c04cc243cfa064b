// A field error in the words of the screen it is shown on (issue #15: "model_name is
// required" where the form says "Model name"). The gateway and Rust name fields by
// their API names, which is right for the API; a form passes its own label table and
// every message it shows goes through `inScreenWords`, so the mapping lives once per
// form, next to its labels, and the rule for applying it lives here.

/** A form's labels by API field name, e.g. `{ token_limit_period: "Budget period" }`. */
export type FieldLabels = Readonly<Record<string, string>>;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `message` with API field names replaced by the form's labels: a name that opens the
 * message or looks like an identifier (`token_limit_period`, `labels.team`,
 * `allowed_models[1]`) anywhere, so plain words ("a name") are left alone.
 */
export function inScreenWords(message: string, labels: FieldLabels): string {
  let out = message;
  // Longest names first, so `token_limit_period` is not read as `token_limit` + "_period".
  const names = Object.keys(labels).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const label = labels[name]!;
    const word = escape(name);
    // `labels.team` → "Labels (team)"; `allowed_models[1]` → "Allowed models (entry 2)".
    out = out.replace(new RegExp(`(?<![\\w.])${word}\\.([\\w-]+)`, "g"), (_, key: string) => `${label} (${key})`);
    out = out.replace(new RegExp(`(?<![\\w.])${word}\\[(\\d+)\\]`, "g"), (_, index: string) => `${label} (entry ${Number(index) + 1})`);
    if (name.includes("_")) {
      out = out.replace(new RegExp(`(?<![\\w.])${word}(?![\\w])`, "g"), label);
    } else {
      out = out.replace(new RegExp(`^${word}(?![\\w])`), label);
    }
  }
  return out;
}
