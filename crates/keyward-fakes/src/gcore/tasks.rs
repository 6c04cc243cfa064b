//! Asynchronous tasks: what a deployment change answers with, and what moves the
//! deployment on. A task advances one step each time it is polled
//! (`GET /cloud/v1/tasks/{id}`): the first poll sees `NEW`, the following ones
//! `RUNNING`, and poll number [`Seed::task_polls`](super::Seed::task_polls) sees it end
//! — `FINISHED` with its change applied, or `ERROR` with its message and the change
//! undone. A start answers 204 without a task id, so its task advances each time the
//! deployment is read instead.

use super::seed::{Deployment, Phase};
use super::{rfc3339, Answer, ApiError, State, World};
use axum::extract::Path;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// A task's state as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    New,
    Running,
    Finished,
    Error,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::New => "NEW",
            TaskState::Running => "RUNNING",
            TaskState::Finished => "FINISHED",
            TaskState::Error => "ERROR",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, TaskState::Finished | TaskState::Error)
    }
}

/// What finishing a task does to its deployment.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Create,
    /// The deployment as it was before the update, restored if the task fails.
    Update(Box<Deployment>),
    /// The phase before the deletion, restored if the task fails.
    Delete(Phase),
    Start,
    /// A later change to the same deployment took over; finishing changes nothing.
    Superseded,
}

/// One asynchronous task.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    /// `create_inference_instance`, `update_inference_instance`,
    /// `delete_inference_instance` or `start_inference_instance`.
    pub task_type: &'static str,
    pub project_id: i64,
    pub deployment: String,
    pub state: TaskState,
    /// Polls so far, and how many it takes to end.
    pub polls: u32,
    pub polls_needed: u32,
    /// Set when the task will end (or has ended) in `ERROR`.
    pub error: Option<String>,
    pub created_on: DateTime<Utc>,
    pub finished_on: Option<DateTime<Utc>>,
    pub(crate) change: Change,
    /// Advanced by reads of the deployment rather than by polls (a start's task).
    pub(crate) advanced_by_reads: bool,
}

/// Starts a task for `deployment`'s change; any earlier unfinished task for it is
/// superseded. Returns the task id.
pub(crate) fn start(
    world: &mut World,
    project_id: i64,
    deployment: &str,
    change: Change,
) -> String {
    let task_type = match change {
        Change::Create => "create_inference_instance",
        Change::Update(_) => "update_inference_instance",
        Change::Delete(_) => "delete_inference_instance",
        Change::Start | Change::Superseded => "start_inference_instance",
    };
    supersede(world, project_id, deployment);
    let id = super::seed::uuid(&mut world.rng);
    let advanced_by_reads = matches!(change, Change::Start);
    world.tasks.push(Task {
        id: id.clone(),
        task_type,
        project_id,
        deployment: deployment.to_owned(),
        state: TaskState::New,
        polls: 0,
        polls_needed: world.seed.task_polls.max(1),
        error: world.next_task_error.take(),
        created_on: world.seed.now,
        finished_on: None,
        change,
        advanced_by_reads,
    });
    id
}

/// Unfinished tasks of `deployment` end without changing it (a stop took over).
pub(crate) fn supersede(world: &mut World, project_id: i64, deployment: &str) {
    for task in world.tasks.iter_mut() {
        if task.project_id == project_id && task.deployment == deployment && !task.state.is_done() {
            task.change = Change::Superseded;
        }
    }
}

/// The unfinished task driving `deployment`, if any.
pub(crate) fn pending<'a>(world: &'a World, project_id: i64, deployment: &str) -> Option<&'a Task> {
    world.tasks.iter().rev().find(|t| {
        t.project_id == project_id
            && t.deployment == deployment
            && !t.state.is_done()
            && !matches!(t.change, Change::Superseded)
    })
}

/// One poll of task `at`: its next state, and its change applied when it ends.
pub(crate) fn advance(world: &mut World, at: usize) {
    let task = &mut world.tasks[at];
    if task.state.is_done() {
        return;
    }
    task.polls += 1;
    if task.polls < task.polls_needed {
        task.state = if task.polls == 1 {
            TaskState::New
        } else {
            TaskState::Running
        };
        return;
    }
    task.state = if task.error.is_some() {
        TaskState::Error
    } else {
        TaskState::Finished
    };
    task.finished_on = Some(world.seed.now);
    let failed = task.state == TaskState::Error;
    let (project_id, name, change) = (
        task.project_id,
        task.deployment.clone(),
        task.change.clone(),
    );
    let deployments = &mut world.seed.deployments;
    let at = deployments
        .iter()
        .position(|d| d.project_id == project_id && d.name == name);
    match (change, at) {
        (Change::Superseded, _) | (_, None) => {}
        (Change::Create, Some(i)) if failed => {
            deployments.remove(i);
        }
        (Change::Update(before), Some(i)) if failed => deployments[i] = *before,
        (Change::Delete(before), Some(i)) if failed => deployments[i].phase = before,
        (Change::Start, Some(i)) if failed => deployments[i].phase = Phase::Disabled,
        (Change::Delete(_), Some(i)) => {
            deployments.remove(i);
        }
        (Change::Create | Change::Update(_) | Change::Start, Some(i)) => {
            // An update of a stopped deployment leaves it stopped.
            if deployments[i].phase == Phase::Deploying {
                deployments[i].phase = Phase::Running;
            }
        }
    }
}

/// Advances the read-driven tasks (starts) of `deployment`, as reading it would show
/// the platform's progress.
pub(crate) fn advance_on_read(world: &mut World, project_id: i64, deployment: &str) {
    let ats: Vec<usize> = world
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.advanced_by_reads
                && !t.state.is_done()
                && t.project_id == project_id
                && t.deployment == deployment
        })
        .map(|(i, _)| i)
        .collect();
    for at in ats {
        advance(world, at);
    }
}

fn task_json(world: &World, t: &Task) -> Value {
    let created = t.state == TaskState::Finished && t.task_type == "create_inference_instance";
    json!({
        "id": t.id,
        "task_type": t.task_type,
        "state": t.state.as_str(),
        "user_id": world.seed.user_id,
        "client_id": world.seed.client_id,
        "project_id": t.project_id,
        "region_id": null,
        "created_on": rfc3339(t.created_on),
        "updated_on": rfc3339(t.finished_on.unwrap_or(t.created_on)),
        "finished_on": t.finished_on.map(rfc3339),
        "error": if t.state == TaskState::Error { json!(t.error) } else { Value::Null },
        "created_resources": if created {
            json!({"inference_instances": [t.deployment]})
        } else {
            Value::Null
        },
        "data": {"project_id": t.project_id, "name": t.deployment},
        "acknowledged_at": null,
        "acknowledged_by": null,
        "detailed_state": null,
        "job_id": null,
        "lifecycle_policy_id": null,
        "request_id": null,
        "schedule_id": null,
        "user_client_id": null,
    })
}

pub(super) async fn get_task(state: axum::extract::State<State>, Path(id): Path<String>) -> Answer {
    let mut world = state.inner.lock().unwrap();
    let at = world
        .tasks
        .iter()
        .position(|t| t.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Task {id} not found.")))?;
    advance(&mut world, at);
    Ok(Json(task_json(&world, &world.tasks[at])).into_response())
}
