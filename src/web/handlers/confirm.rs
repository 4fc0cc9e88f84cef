//! The confirmation page every destructive action goes through.
use crate::web::layout::Layout;
use askama::Template;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub title: String,
    pub question: String,
    /// What will be lost, one line each.
    pub consequences: Vec<String>,
    pub action_url: String,
    pub cancel_url: String,
    pub button: String,
}
