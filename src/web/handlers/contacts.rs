//! Company contacts (work in progress).
use crate::web::WebError;
use crate::web::layout::Caller;
use actix_web::{HttpResponse, web};

pub async fn new_form(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn create(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn edit_form(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn update(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn confirm_delete(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
pub async fn delete(_c: Caller, _p: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
