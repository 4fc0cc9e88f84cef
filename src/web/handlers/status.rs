//! The Status page of a mailbox (work in progress).
use crate::web::WebError;
use crate::web::layout::Caller;
use actix_web::{HttpResponse, web};

pub async fn show(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn save(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn lift(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn educate_and_lift(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn confirm_lift_and_delete(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn lift_and_delete(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn suspended_list(_c: Caller) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
