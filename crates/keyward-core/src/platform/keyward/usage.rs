//! The gateway's usage calls: the projects a token may read and the usage rollups.
//! The loaders that combine them and the analysis are in [`crate::usage`].

use super::KeywardClient;
use crate::platform::http::route;
use crate::{Error, Profile};
use keyward_api::usage::{UsageQuery, UsageReport};
use reqwest::Method;

impl KeywardClient {
    /// The projects this profile's token may read (`GET /v1/projects`): every project for
    /// an owner token, its own for the others. The Usage screen's project filter.
    pub async fn list_projects(
        &self,
        profile: &Profile,
    ) -> Result<Vec<keyward_api::Project>, Error> {
        let list: keyward_api::ProjectList = self
            .send(
                profile,
                self.control(profile, Method::GET, &route(&["v1", "projects"])),
            )
            .await?;
        Ok(list.projects)
    }

    /// `GET /v1/projects/{project}/usage` with a validated query.
    pub async fn project_usage(
        &self,
        profile: &Profile,
        project_id: &str,
        query: &UsageQuery,
    ) -> Result<UsageReport, Error> {
        let path = route(&["v1", "projects", project_id, "usage"]);
        let request = self
            .control(profile, Method::GET, &path)
            .query(&query.to_params());
        self.send(profile, request).await
    }
}
