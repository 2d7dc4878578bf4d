//! Tableau Server repository: the table specs for each dataset.

/// Every dataset the `tableau` source kind knows, in extraction order.
pub const DATASETS: &[&str] = &[
    "http_requests",
    "historical_events",
    "background_jobs",
    "users",
    "system_users",
    "sites",
    "views",
    "workbooks",
    "projects",
    "datasources",
    "extracts",
    "hist_users",
    "hist_views",
    "hist_workbooks",
    "hist_datasources",
    "hist_sites",
    "hist_projects",
    "historical_event_types",
    "site_roles",
    "projects_contents",
];
