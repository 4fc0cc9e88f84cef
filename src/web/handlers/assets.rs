//! The one stylesheet, compiled into the binary: the dashboard works on a closed network.
use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../../static/style.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}
