//! The whole URL table. The macro both registers each route and lists it in [`ROUTES`], so
//! the authorization-matrix test can check that it covers every route that exists.
use super::handlers::{
    account, admins, api, assets, audit, auth, companies, complaints, contacts, domains, health, home,
    lookup, mailboxes, notices, status, tokens,
};
use actix_web::web;

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path ),* $(,)?) => {
        /// Every route: (method, path pattern).
        pub const ROUTES: &[(&str, &str)] = &[ $( (stringify!($method), $path) ),* ];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )*
        }
    };
}

routes! {
    get "/healthz" => health::check,
    post "/api/v1/complaints" => api::post_complaint,
    get "/api/v1/mailboxes/{address}/send-permission" => api::send_permission,
    get "/static/style.css" => assets::stylesheet,
    get "/login" => auth::login_form,
    post "/login" => auth::login,
    post "/logout" => auth::logout,
    get "/" => home::index,
    get "/lookup" => lookup::search,
    get "/account/password" => account::password_form,
    post "/account/password" => account::set_password,
    get "/companies" => companies::list,
    get "/companies/new" => companies::new_form,
    post "/companies/new" => companies::create,
    get "/companies/{id}" => companies::show,
    get "/companies/{id}/edit" => companies::edit_form,
    post "/companies/{id}/edit" => companies::update,
    get "/companies/{id}/delete" => companies::confirm_delete,
    post "/companies/{id}/delete" => companies::delete,
    get "/companies/{id}/domains/new" => domains::new_form,
    post "/companies/{id}/domains/new" => domains::create,
    get "/domains/{id}" => domains::show,
    get "/domains/{id}/edit" => domains::edit_form,
    post "/domains/{id}/edit" => domains::update,
    get "/domains/{id}/delete" => domains::confirm_delete,
    post "/domains/{id}/delete" => domains::delete,
    get "/domains/{id}/mailboxes/new" => mailboxes::new_form,
    post "/domains/{id}/mailboxes/new" => mailboxes::create,
    get "/mailboxes/{id}" => mailboxes::edit_form,
    post "/mailboxes/{id}" => mailboxes::update,
    get "/mailboxes/{id}/password" => mailboxes::password_form,
    post "/mailboxes/{id}/password" => mailboxes::set_password,
    get "/mailboxes/{id}/delete" => mailboxes::confirm_delete,
    post "/mailboxes/{id}/delete" => mailboxes::delete,
    get "/mailboxes/{id}/status" => status::show,
    post "/mailboxes/{id}/status" => status::save,
    post "/mailboxes/{id}/lift" => status::lift,
    post "/mailboxes/{id}/educate" => status::educate_and_lift,
    get "/mailboxes/{id}/lift-and-delete" => status::confirm_lift_and_delete,
    post "/mailboxes/{id}/lift-and-delete" => status::lift_and_delete,
    get "/suspended" => status::suspended_list,
    get "/companies/{id}/contacts/new" => contacts::new_form,
    post "/companies/{id}/contacts/new" => contacts::create,
    get "/contacts/{id}/edit" => contacts::edit_form,
    post "/contacts/{id}/edit" => contacts::update,
    get "/contacts/{id}/delete" => contacts::confirm_delete,
    post "/contacts/{id}/delete" => contacts::delete,
    get "/audit" => audit::platform_log,
    get "/audit/export" => audit::platform_export,
    get "/companies/{id}/audit" => audit::company_log,
    get "/companies/{id}/audit/export" => audit::company_export,
    get "/admins" => admins::list,
    get "/admins/new" => admins::new_form,
    post "/admins/new" => admins::create,
    get "/admins/{id}" => admins::show,
    post "/admins/{id}/domains" => admins::set_domains,
    post "/admins/{id}/password" => admins::set_password,
    get "/admins/{id}/delete" => admins::confirm_delete,
    post "/admins/{id}/delete" => admins::delete,
    get "/mailboxes/{id}/complaints" => complaints::for_mailbox,
    get "/companies/{id}/complaints" => complaints::for_company,
    get "/complaints/unattributed" => complaints::unattributed,
    get "/complaints/quarantine" => complaints::quarantine_list,
    get "/complaints/quarantine/{id}" => complaints::quarantined,
    get "/complaints/new" => complaints::new_form,
    post "/complaints/new" => complaints::paste,
    get "/complaints/{id}" => complaints::show,
    get "/tokens" => tokens::list,
    post "/tokens/new" => tokens::create,
    post "/tokens/{id}/revoke" => tokens::revoke,
    get "/companies/{id}/notices" => notices::company_list,
    get "/notices" => notices::list,
    get "/notices/{id}" => notices::show,
}
