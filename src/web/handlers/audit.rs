//! The audit log pages: platform-wide and per company, filtered, paginated, CSV export.
use crate::web::WebError;
use crate::web::layout::Caller;
use actix_web::{HttpResponse, web};

pub async fn platform_log(_caller: Caller) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}

pub async fn platform_export(_caller: Caller) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}

pub async fn company_log(_caller: Caller, _path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}

pub async fn company_export(_caller: Caller, _path: web::Path<i32>) -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound)
}
