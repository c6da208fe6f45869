//! Mastodon's admin API (`/api/v1/admin/...`): one file per resource. Every endpoint needs
//! an `admin:read` or `admin:write` scope (Mastodon's granular `admin:read:domain_blocks`
//! and the like fold into these, `model::scopes`) and a user whose role allows it, which
//! the `app` operation checks (`app::admin::require_role`).

pub mod accounts;
pub mod dashboard;
pub mod domain_allows;
pub mod domain_blocks;
pub mod entities;
pub mod ip_blocks;
pub mod relays;
pub mod reports;

use crate::api::pagination::PageParams;
use crate::app::App;
use crate::store::Page;

/// Mastodon's page size of admin lists: 100 unless asked, at most 200.
const ADMIN_PAGE_DEFAULT: u64 = 100;
const ADMIN_PAGE_MAX: usize = 200;

fn admin_page(app: &App, mut params: PageParams) -> Page {
    params.limit.get_or_insert(ADMIN_PAGE_DEFAULT);
    params.page(app, Some(ADMIN_PAGE_MAX))
}
