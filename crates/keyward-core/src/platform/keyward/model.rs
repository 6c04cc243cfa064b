//! The gateway's wire types (`keyward_api`) mapped into the neutral model.

use crate::platform::capabilities::BudgetPeriod;
use crate::platform::model::{Key, KeyScopes, KeyState, TokenBudget, Workload};
use keyward_api::scope::{TokenLimitPeriod, WorkloadScope};
use keyward_api::{InferenceKey, KeyStatus};

impl From<TokenLimitPeriod> for BudgetPeriod {
    fn from(period: TokenLimitPeriod) -> Self {
        match period {
            TokenLimitPeriod::Minute => Self::Minute,
            TokenLimitPeriod::Hour => Self::Hour,
            TokenLimitPeriod::Day => Self::Day,
            TokenLimitPeriod::Week => Self::Week,
            TokenLimitPeriod::Month => Self::Month,
        }
    }
}

fn count(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

impl From<InferenceKey> for Key {
    fn from(key: InferenceKey) -> Self {
        let state = match key.status {
            KeyStatus::Active => KeyState::Active,
            KeyStatus::Revoked => KeyState::Revoked,
            KeyStatus::Expired => KeyState::Expired,
            KeyStatus::Archived => KeyState::Archived,
        };
        let token_budget = match (count(key.token_limit), key.token_limit_period) {
            (Some(tokens), Some(period)) => Some(TokenBudget {
                tokens,
                period: period.into(),
            }),
            _ => None,
        };
        Key {
            scopes: KeyScopes {
                rpm: count(key.rpm),
                tpm: count(key.tpm),
                token_budget,
                money_budget: None,
                models: key.allowed_models,
                workloads: match key.workloads {
                    WorkloadScope::Project => None,
                    WorkloadScope::Only(slugs) => Some(slugs),
                },
                labels: key.labels,
                description: Some(key.description).filter(|d| !d.is_empty()),
            },
            id: key.id,
            name: key.name,
            hint: Some(key.masked),
            state,
            created_at: Some(key.created_at),
            updated_at: Some(key.updated_at),
            last_used_at: key.last_used_at,
            expires_at: key.expires_at,
            // A gateway key belongs to its project; the token that made it is in the
            // audit trail, not on the key.
            owner: None,
            project: Some(key.project_id),
        }
    }
}

impl From<keyward_api::workloads::Workload> for Workload {
    fn from(workload: keyward_api::workloads::Workload) -> Self {
        Workload {
            id: workload.id,
            slug: workload.slug,
            name: workload.name,
            model: Some(workload.model_name),
            upstream: workload.upstream_url,
            created_at: Some(workload.created_at),
        }
    }
}
