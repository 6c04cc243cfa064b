//! Query strings as the platforms read them: arrays arrive bracketed the way the Stainless
//! SDKs encode them (`group_by[]=model`, percent-encoded) or as repeated plain keys
//! (`group_by=model`), and both mean the same.

pub(crate) struct Query(Vec<(String, String)>);

/// A parameter present with a value the endpoint cannot take.
#[derive(Debug)]
pub(crate) struct BadParam {
    pub name: &'static str,
    pub message: String,
}

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of a scalar parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of an array parameter, bracketed or repeated.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == name || *k == bracketed)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub(crate) fn int(&self, name: &'static str) -> Result<Option<i64>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| BadParam {
                name,
                message: format!("Invalid '{name}': expected an integer, but got '{v}' instead."),
            }),
        }
    }

    pub(crate) fn bool(&self, name: &'static str) -> Result<Option<bool>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(BadParam {
                name,
                message: format!("Invalid '{name}': expected a boolean, but got '{v}' instead."),
            }),
        }
    }

    /// A limit within `min..=max`, `default` when absent.
    pub(crate) fn limit(
        &self,
        name: &'static str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, BadParam> {
        let Some(value) = self.int(name)? else {
            return Ok(default);
        };
        if value < min as i64 {
            return Err(BadParam {
                name,
                message: format!("Invalid '{name}': integer below minimum value. Expected a value >= {min}, but got {value} instead."),
            });
        }
        if value > max as i64 {
            return Err(BadParam {
                name,
                message: format!("Invalid '{name}': integer above maximum value. Expected a value <= {max}, but got {value} instead."),
            });
        }
        Ok(value as usize)
    }
}
