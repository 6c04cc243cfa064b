-- Console settings that must survive a restart (e.g. the active profile's id).
-- Never secrets: those live in the OS keychain.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
