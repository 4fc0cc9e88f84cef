use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mailbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    pub local_part: String,
    pub address: String,
    pub display_name: String,
    pub password_hash: String,
    pub svc_send_mail: i16,
    pub svc_receive_mail: i16,
    pub svc_imap: i16,
    pub svc_pop3: i16,
    pub svc_webmail_login: i16,
    pub svc_webmail_send: i16,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Overrides the company's complaint allowance for this mailbox.
    pub complaint_allowance: Option<i32>,
    /// Outbound limits (NULL: inherit); see `crate::enforcement::limits`.
    pub limit_daily: Option<i32>,
    pub limit_external_hourly: Option<i32>,
    pub limit_internal_hourly: Option<i32>,
    /// The last lift of Send Mail: sending is counted from here, probation runs from here.
    pub send_lifted_at: Option<DateTimeUtc>,
    /// Quota in MB for the mail servers (`mail_user.quota_mb`); 0 is none.
    pub quota_mb: i32,
    /// Where the mailbox's mail is forwarded: normalised addresses joined by commas, '' for none.
    pub forward_to: String,
    /// With a forward: also deliver to the mailbox itself.
    pub forward_keep_copy: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
