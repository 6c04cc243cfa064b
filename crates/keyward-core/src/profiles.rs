//! Connection profiles: everything but the token in the console's SQLite database, the
//! token in the OS keychain under the profile's id.
//!
//! Every change is ordered so that no half-saved profile can exist: the row is written
//! in a transaction, the keychain entry is written before that transaction commits, and
//! a keychain failure rolls the row back. Deleting removes the keychain entry first,
//! so a profile is never left pointing at a token that was meant to be gone.

use crate::keychain::{Keychain, MAX_TOKEN_BYTES};
use crate::profile::Profile;
use crate::Error;
use crate::ErrorCode;
use chrono::{DateTime, Utc};
use keyward_api::Secret;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;
use std::path::Path;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub use crate::platform::PlatformKind;

/// A profile as the user enters it. `token` is required on create; on update `None`
/// keeps the stored token (the UI can replace it, never read it).
#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: String,
    pub project_id: String,
    pub notes: String,
    pub token: Option<Secret>,
}

/// The stored settings of a profile (no token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StoredProfile {
    pub id: String,
    pub name: String,
    pub kind: PlatformKind,
    pub base_url: String,
    pub project_id: String,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The embedded gateway's profile: not deletable, address managed by the app.
    pub builtin: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    kind: String,
    base_url: String,
    project_id: String,
    notes: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for StoredProfile {
    fn from(row: Row) -> Self {
        StoredProfile {
            kind: PlatformKind::parse(&row.kind),
            builtin: row.id == crate::profile::LOCAL_PROFILE_ID,
            id: row.id,
            name: row.name,
            base_url: row.base_url,
            project_id: row.project_id,
            notes: row.notes,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const COLUMNS: &str = "id, name, kind, base_url, project_id, notes, created_at, updated_at";

/// Checks every field, naming the first bad one; returns the normalised input.
/// The profile name: the key-name rule (1–128 characters, no control characters).
fn check_name(name: &str) -> Result<String, Error> {
    keyward_api::validate_name(Some(name))
        .map(str::to_owned)
        .map_err(|e| Error::field("name", e.message))
}

/// An http(s) URL with a host and no credentials, query or fragment; no trailing '/'.
fn check_base_url(base_url: &str) -> Result<String, Error> {
    let url = base_url.trim().trim_end_matches('/').to_owned();
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            if parsed.query().is_some()
                || parsed.fragment().is_some()
                || !parsed.username().is_empty()
            {
                return Err(Error::field(
                    "base_url",
                    "The base URL must not carry credentials, a query or a fragment.",
                ));
            }
            Ok(url)
        }
        _ => Err(Error::field(
            "base_url",
            "The base URL must be an http:// or https:// URL, e.g. https://gateway.example.com.",
        )),
    }
}

/// Up to 128 characters, no '/' or control characters; empty only where `optional`.
fn check_project(project_id: &str, optional: bool) -> Result<String, Error> {
    let project_id = project_id.trim();
    if (project_id.is_empty() && !optional)
        || project_id.len() > 128
        || project_id.chars().any(|c| c.is_control() || c == '/')
    {
        return Err(Error::field(
            "project_id",
            "The project ID is required: up to 128 characters, no '/'.",
        ));
    }
    Ok(project_id.to_owned())
}

fn check_notes(notes: &str) -> Result<(), Error> {
    if notes.chars().count() > 2000 {
        return Err(Error::field(
            "notes",
            "Notes must be at most 2000 characters.",
        ));
    }
    Ok(())
}

/// Required on create (no stored token to fall back on); never blank; bounded.
fn check_token(token: Option<&Secret>, required: bool) -> Result<Option<Secret>, Error> {
    match token {
        None if required => Err(Error::field("token", "The token is required.")),
        None => Ok(None),
        Some(token) if token.expose().trim().is_empty() => {
            Err(Error::field("token", "The token must not be blank."))
        }
        Some(token) if token.expose().len() > MAX_TOKEN_BYTES => Err(Error::field(
            "token",
            format!("The token must be at most {MAX_TOKEN_BYTES} bytes."),
        )),
        Some(token) => Ok(Some(Secret::new(token.expose().trim().to_owned()))),
    }
}

pub fn validate(mut input: ProfileInput, token_required: bool) -> Result<ProfileInput, Error> {
    input.name = check_name(&input.name)?;
    input.base_url = check_base_url(&input.base_url)?;
    input.project_id = check_project(&input.project_id, false)?;
    check_notes(&input.notes)?;
    input.token = check_token(input.token.as_ref(), token_required)?;
    Ok(input)
}

/// Every bad field of a profile form at once, by the rules [`validate`] applies (they
/// live here once; the dialogs ask over IPC instead of copying them). A Keyward
/// profile's project may be empty: its token names it (`whoami`), which saving reads.
pub fn problems(input: &ProfileInput, token_required: bool) -> Vec<crate::workloads::FieldProblem> {
    let project_optional = input.kind.profile_labels().project_from_credential;
    [
        check_name(&input.name).err(),
        check_base_url(&input.base_url).err(),
        check_project(&input.project_id, project_optional).err(),
        check_notes(&input.notes).err(),
        check_token(input.token.as_ref(), token_required).err(),
    ]
    .into_iter()
    .flatten()
    .map(|error| crate::workloads::FieldProblem {
        field: error.field.unwrap_or_default(),
        message: error.message,
    })
    .collect()
}

pub struct ProfileStore {
    pool: SqlitePool,
    keychain: Keychain,
}

fn db_error(error: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return Error::field("name", "Another profile already has this name.");
        }
    }
    tracing::error!(%error, "console database error");
    Error::new(
        ErrorCode::Internal,
        "Keyward's profile database failed; nothing was changed. Details are in the log.",
    )
}

impl ProfileStore {
    /// Opens (creating if needed) the console database at `path`.
    pub async fn open(path: &Path, keychain: Keychain) -> Result<Self, Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::new(
                    ErrorCode::Internal,
                    format!("Cannot create {}: {e}", dir.display()),
                )
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db_error)?;
        MIGRATOR.run(&pool).await.map_err(|e| db_error(e.into()))?;
        Ok(Self { pool, keychain })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn list(&self) -> Result<Vec<StoredProfile>, Error> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM profiles ORDER BY name COLLATE NOCASE"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn find(&self, id: &str) -> Result<Option<StoredProfile>, Error> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM profiles WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(row.map(Into::into))
    }

    pub async fn get(&self, id: &str) -> Result<StoredProfile, Error> {
        self.find(id).await?.ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                "This profile no longer exists; it may have been deleted in another window.",
            )
        })
    }

    /// Whether the keychain holds the profile's token (without keeping it).
    pub fn has_token(&self, id: &str) -> Result<bool, Error> {
        Ok(self.keychain.load(id)?.is_some())
    }

    /// Replaces only the token of an existing profile.
    pub async fn replace_token(&self, id: &str, token: &Secret) -> Result<(), Error> {
        self.get(id).await?;
        if token.expose().trim().is_empty() {
            return Err(Error::field("token", "The token must not be blank."));
        }
        self.keychain.store(id, token)
    }

    /// Sets the address of a profile whose address the app manages (Local's port).
    pub async fn set_address(
        &self,
        id: &str,
        base_url: &str,
        project_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE profiles SET base_url = ?, project_id = ?, updated_at = ? WHERE id = ?",
        )
        .bind(base_url)
        .bind(project_id)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, Error> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(row.map(|(v,)| v))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Creates a profile with a fresh id (or `id`, for the built-in "Local").
    pub async fn create(
        &self,
        id: Option<&str>,
        input: ProfileInput,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        let input = validate(input, true)?;
        let id = id
            .map(str::to_owned)
            .unwrap_or_else(|| format!("prof_{}", uuid::Uuid::now_v7().simple()));
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let row: Row = sqlx::query_as(&format!(
            "INSERT INTO profiles ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(&id)
        .bind(&input.name)
        .bind(input.kind.as_str())
        .bind(&input.base_url)
        .bind(&input.project_id)
        .bind(&input.notes)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let token = input.token.as_ref().expect("validated: token present");
        self.keychain.store(&id, token)?; // on error `tx` drops: the row is rolled back
        if let Err(error) = tx.commit().await {
            let _ = self.keychain.delete(&id);
            return Err(db_error(error));
        }
        Ok(row.into())
    }

    /// Changes the settings, and the token when one is given.
    pub async fn update(
        &self,
        id: &str,
        input: ProfileInput,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        let input = validate(input, false)?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let row: Option<Row> = sqlx::query_as(&format!(
            "UPDATE profiles SET name = ?, kind = ?, base_url = ?, project_id = ?, notes = ?, updated_at = ?
             WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(&input.name)
        .bind(input.kind.as_str())
        .bind(&input.base_url)
        .bind(&input.project_id)
        .bind(&input.notes)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let row = row
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("There is no profile {id}.")))?;
        if let Some(token) = &input.token {
            self.keychain.store(id, token)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(row.into())
    }

    /// A copy under a new name, with its own copy of the token.
    pub async fn duplicate(
        &self,
        id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredProfile, Error> {
        let source = self.get(id).await?;
        let token = self.token(&source)?;
        let input = ProfileInput {
            name: name.to_owned(),
            kind: source.kind,
            base_url: source.base_url,
            project_id: source.project_id,
            notes: source.notes,
            token: Some(token),
        };
        self.create(None, input, now).await
    }

    /// Deletes the keychain entry, then the row. A keychain failure keeps both.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.get(id).await?;
        self.keychain.delete(id)?;
        sqlx::query("DELETE FROM profiles WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    fn token(&self, profile: &StoredProfile) -> Result<Secret, Error> {
        self.keychain.load(&profile.id)?.ok_or_else(|| {
            Error::new(
                ErrorCode::KeychainMissing,
                format!("The token of profile \"{}\" is no longer in the keychain. Enter it again in the profile's settings.", profile.name),
            )
        })
    }

    /// The profile with its token, ready to call its platform.
    pub async fn connect(&self, id: &str) -> Result<Profile, Error> {
        let stored = self.get(id).await?;
        let token = self.token(&stored)?;
        Ok(Profile {
            id: stored.id,
            name: stored.name,
            kind: stored.kind,
            base_url: stored.base_url,
            project_id: stored.project_id,
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    //! Fault injection with keyring-core's mock store (the real Secret Service is
    //! exercised by the integration tests).
    use super::*;
    use std::sync::Once;

    fn form_input(kind: PlatformKind, project: &str, token: Option<&str>) -> ProfileInput {
        ProfileInput {
            name: "Team".into(),
            kind,
            base_url: "https://gw.example.com/".into(),
            project_id: project.into(),
            notes: String::new(),
            token: token.map(|t| Secret::new(t.into())),
        }
    }

    /// The form check names every bad field at once by the rules `validate` applies
    /// (issue #16: they were copied into profiles/rules.ts).
    #[test]
    fn the_form_check_names_every_bad_field() {
        assert!(problems(
            &form_input(PlatformKind::Keyward, "", Some("kw_ctl_x")),
            true
        )
        .is_empty());
        let bad = ProfileInput {
            name: " ".into(),
            base_url: "ftp://x".into(),
            notes: "n".repeat(2001),
            ..form_input(PlatformKind::Podstack, "", Some("  "))
        };
        let found: Vec<String> = problems(&bad, true).into_iter().map(|p| p.field).collect();
        assert_eq!(found, ["name", "base_url", "project_id", "notes", "token"]);
        assert_eq!(
            problems(&form_input(PlatformKind::Podstack, "a/b", None), false)[0].field,
            "project_id"
        );
        assert_eq!(
            problems(&form_input(PlatformKind::Keyward, "p", None), true)[0].message,
            "The token is required."
        );
    }

    #[test]
    fn base_urls_are_http_without_credentials_query_or_fragment() {
        assert_eq!(
            check_base_url(" https://gw.example.com/ ").unwrap(),
            "https://gw.example.com"
        );
        for bad in [
            "gw.example.com",
            "ftp://gw",
            "https://u:p@gw",
            "https://gw/?a=1",
            "https://gw/#x",
            "http://",
        ] {
            assert_eq!(
                check_base_url(bad).unwrap_err().field.as_deref(),
                Some("base_url"),
                "{bad}"
            );
        }
    }

    fn mock_store() {
        static INIT: Once = Once::new();
        INIT.call_once(|| {
            keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap())
        });
    }

    fn input(name: &str) -> ProfileInput {
        ProfileInput {
            name: name.into(),
            kind: PlatformKind::Keyward,
            base_url: "https://gw.example.com/".into(),
            project_id: "prj_1".into(),
            notes: String::new(),
            token: Some(Secret::new("kw_ctl_token".into())),
        }
    }

    fn fail_next(service: &str, id: &str, error: keyring_core::Error) {
        let entry = keyring_core::Entry::new(service, id).unwrap();
        entry
            .as_any()
            .downcast_ref::<keyring_core::mock::Cred>()
            .unwrap()
            .set_error(error);
    }

    #[tokio::test]
    async fn a_keychain_failure_on_save_leaves_no_row_behind() {
        mock_store();
        let dir = tempfile::tempdir().unwrap();
        let store =
            ProfileStore::open(&dir.path().join("console.db"), Keychain::new("test.faults"))
                .await
                .unwrap();
        fail_next(
            "test.faults",
            "prof_fixed",
            keyring_core::Error::NoStorageAccess("locked".into()),
        );
        let error = store
            .create(Some("prof_fixed"), input("team"), Utc::now())
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::KeychainLocked);
        assert!(
            store.list().await.unwrap().is_empty(),
            "no half-saved profile"
        );

        fail_next(
            "test.faults",
            "prof_fixed",
            keyring_core::Error::TooLong("password".into(), 10),
        );
        let error = store
            .create(Some("prof_fixed"), input("team"), Utc::now())
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::KeychainTooLarge);
        assert!(store.list().await.unwrap().is_empty());

        let created = store
            .create(Some("prof_fixed"), input("team"), Utc::now())
            .await
            .unwrap();
        assert_eq!(
            created.base_url, "https://gw.example.com",
            "trailing slash trimmed"
        );
        // A delete whose keychain removal fails keeps the profile.
        fail_next(
            "test.faults",
            "prof_fixed",
            keyring_core::Error::NoStorageAccess("locked".into()),
        );
        assert_eq!(
            store.delete("prof_fixed").await.unwrap_err().code,
            ErrorCode::KeychainLocked
        );
        assert_eq!(store.list().await.unwrap().len(), 1);
        store.delete("prof_fixed").await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
    }

    #[test]
    fn a_mock_store_is_recognised_as_not_persisting() {
        // What the release build checks before it agrees to run.
        mock_store();
        assert!(!crate::keychain::default_store_persists());
    }

    #[tokio::test]
    async fn a_missing_entry_is_reported_as_such() {
        mock_store();
        let dir = tempfile::tempdir().unwrap();
        let keychain = Keychain::new("test.missing");
        let store = ProfileStore::open(&dir.path().join("console.db"), keychain.clone())
            .await
            .unwrap();
        let created = store.create(None, input("gone"), Utc::now()).await.unwrap();
        assert!(keychain.delete(&created.id).unwrap());
        let error = store.connect(&created.id).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::KeychainMissing);
        assert!(error.message.contains("\"gone\""));
    }

    #[test]
    fn validation_names_the_field() {
        for (mutate, field) in [
            (
                Box::new(|i: &mut ProfileInput| i.name = " ".into())
                    as Box<dyn Fn(&mut ProfileInput)>,
                "name",
            ),
            (
                Box::new(|i: &mut ProfileInput| i.base_url = "ftp://x".into()),
                "base_url",
            ),
            (
                Box::new(|i: &mut ProfileInput| i.base_url = "https://user:pw@x".into()),
                "base_url",
            ),
            (
                Box::new(|i: &mut ProfileInput| i.project_id = "".into()),
                "project_id",
            ),
            (Box::new(|i: &mut ProfileInput| i.token = None), "token"),
            (
                Box::new(|i: &mut ProfileInput| i.token = Some(Secret::new("x".repeat(5000)))),
                "token",
            ),
        ] {
            let mut bad = input("x");
            mutate(&mut bad);
            assert_eq!(
                validate(bad, true).unwrap_err().field.as_deref(),
                Some(field)
            );
        }
    }
}
