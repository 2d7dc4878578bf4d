//! `report html`: one self-contained static page (inline CSS, SVG and a few lines of JS;
//! nothing fetched, so it opens from a shared drive) built from the same report functions
//! the CLI prints, so every number on the page equals the CLI's.

mod blocks;
mod current_users;
mod indico_roles;
mod page;
mod sections;
pub mod svg;

pub use current_users::page_instant;
pub use page::{render_page, PageQuery};
