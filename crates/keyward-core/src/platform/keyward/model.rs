//! The gateway's wire types (`keyward_api`) mapped into the neutral model.

use crate::platform::capabilities::BudgetPeriod;
use crate::platform::model::{
    AccessLevel, AuditEntry, AuditTrail, Key, KeyActivity, KeyPage, KeyScopes, KeyState,
    ModelTotals, ProjectRef, TokenBudget, UsagePoint, UsageTotals, WorkloadRef,
};
use keyward_api::scope::{TokenLimitPeriod, WorkloadScope};
use keyward_api::{AuditPage, InferenceKey, KeyUsage, Role};

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
        let state = KeyState::from(key.status);
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
                ..Default::default()
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
            revoked_at: key.revoked_at,
            archived_at: key.archived_at,
            totals: Some(totals(
                key.request_count,
                key.input_tokens,
                key.output_tokens,
            )),
            unreadable_scopes: key.unreadable_scopes,
            money_used: None,
            guardrail: None,
            steps: Vec::new(),
        }
    }
}

fn totals(requests: i64, input_tokens: i64, output_tokens: i64) -> UsageTotals {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    UsageTotals {
        requests: n(requests),
        input_tokens: n(input_tokens),
        output_tokens: n(output_tokens),
    }
}

impl From<keyward_api::KeyPage> for KeyPage {
    fn from(page: keyward_api::KeyPage) -> Self {
        KeyPage {
            total: u64::try_from(page.total).ok(),
            keys: page.keys.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<KeyUsage> for KeyActivity {
    fn from(usage: KeyUsage) -> Self {
        KeyActivity {
            key_id: usage.key_id,
            totals: totals(usage.requests, usage.input_tokens, usage.output_tokens),
            by_model: usage
                .by_model
                .into_iter()
                .map(|m| ModelTotals {
                    model: m.model,
                    totals: totals(m.requests, m.input_tokens, m.output_tokens),
                })
                .collect(),
            hourly: usage
                .hourly
                .into_iter()
                .map(|p| UsagePoint {
                    start: p.at,
                    requests: p.requests as f64,
                    input_tokens: p.input_tokens as f64,
                    output_tokens: p.output_tokens as f64,
                })
                .collect(),
        }
    }
}

impl From<AuditPage> for AuditTrail {
    fn from(page: AuditPage) -> Self {
        AuditTrail {
            total: u64::try_from(page.total).ok(),
            entries: page
                .events
                .into_iter()
                .map(|e| AuditEntry {
                    id: e.id,
                    at: e.at,
                    actor: e.actor_label,
                    action: e.action,
                    changes: e.changes,
                })
                .collect(),
        }
    }
}

impl From<Role> for AccessLevel {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Viewer => Self::Viewer,
        }
    }
}

impl From<keyward_api::Project> for ProjectRef {
    fn from(project: keyward_api::Project) -> Self {
        ProjectRef {
            id: project.id,
            name: project.name,
        }
    }
}

impl From<keyward_api::workloads::Workload> for WorkloadRef {
    fn from(workload: keyward_api::workloads::Workload) -> Self {
        WorkloadRef {
            id: workload.id,
            slug: workload.slug,
            name: workload.name,
            model: Some(workload.model_name),
            upstream: workload.upstream_url,
            created_at: Some(workload.created_at),
            // The gateway's health is its own read (health summaries), not the list's.
            status: None,
        }
    }
}
