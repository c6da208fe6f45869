//! Server rules (`/api/v1/instance/rules`, the instance entities, report categories), kept
//! in the database and edited by admins (`/admin/rules`, `skerry admin rule`), as Mastodon
//! keeps them. `instance.rules` of the configuration seeds them once: until an admin first
//! changes them, the configured list is what is shown (ids 1, 2, … as before); the first
//! change copies it into the table, and from then on the table alone counts.

use crate::model::{AuditAction, Role, Rule};
use crate::store::{mail, meta};

use super::admin::{self, Actor};
use super::{App, AppError};

/// Rules an instance may list, and characters per rule (Mastodon's rule text limit, the
/// same as the configuration's).
pub const RULES_MAX: usize = 50;
pub const RULE_CHARS_MAX: usize = 300;
/// Characters of a rule's explanation.
pub const HINT_CHARS_MAX: usize = 1_000;
/// Set in `META` once the configured rules were copied into the table.
const SEEDED: &str = "rules_seeded";

fn configured(app: &App) -> Vec<Rule> {
    app.config
        .instance
        .rules
        .iter()
        .zip(1u64..)
        .map(|(text, id)| Rule {
            id,
            text: text.clone(),
            hint: String::new(),
        })
        .collect()
}

/// The rules in order.
pub fn list(app: &App) -> Result<Vec<Rule>, AppError> {
    app.store.read(|tx| {
        if meta::get(tx, SEEDED)?.is_none() {
            return Ok(configured(app));
        }
        Ok(mail::rules(tx, RULES_MAX, app.bytes_max())?)
    })
}

fn seed(app: &App, tx: &redb::WriteTransaction) -> Result<(), AppError> {
    if meta::get(tx, SEEDED)?.is_none() {
        for rule in configured(app) {
            mail::put_rule(tx, &rule)?;
        }
        meta::put(tx, SEEDED, b"1")?;
    }
    Ok(())
}

/// Adds a rule at the end. Admins (Mastodon's `manage_rules`) and the operator.
pub fn add(app: &App, actor: Actor, text: &str, hint: &str) -> Result<Rule, AppError> {
    let text = text.trim();
    let hint = hint.trim();
    if text.is_empty() || text.chars().count() > RULE_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "A rule has 1 to {RULE_CHARS_MAX} characters"
        )));
    }
    if hint.chars().count() > HINT_CHARS_MAX {
        return Err(AppError::Validation(format!(
            "An explanation has at most {HINT_CHARS_MAX} characters"
        )));
    }
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        seed(app, tx)?;
        let existing = mail::rules(tx, RULES_MAX + 1, app.bytes_max())?;
        if existing.len() >= RULES_MAX {
            return Err(AppError::Validation(format!(
                "There are {RULES_MAX} rules already"
            )));
        }
        let rule = Rule {
            id: existing.last().map_or(1, |last| last.id + 1),
            text: text.to_string(),
            hint: hint.to_string(),
        };
        mail::put_rule(tx, &rule)?;
        super::moderation::audit(
            app,
            tx,
            actor,
            AuditAction::CreateRule,
            rule.text.clone(),
            "",
        )?;
        Ok(rule)
    })
}

/// Removes a rule. Reports that named it keep its id.
pub fn remove(app: &App, actor: Actor, id: u64) -> Result<(), AppError> {
    app.write(|tx| {
        admin::require_role(app, tx, actor, Role::Admin)?;
        seed(app, tx)?;
        let rule = mail::rules(tx, RULES_MAX, app.bytes_max())?
            .into_iter()
            .find(|rule| rule.id == id)
            .ok_or(AppError::NotFound)?;
        mail::remove_rule(tx, id)?;
        super::moderation::audit(app, tx, actor, AuditAction::DeleteRule, rule.text, "")?;
        Ok(())
    })
}
