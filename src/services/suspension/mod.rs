//! Soft-suspensions: the state changes ([`transitions`]), the admin's actions on the Status
//! page ([`actions`]), what the pages read ([`views`], [`record`]), and the support desk's
//! look-up of any user ([`lookup`]).
pub mod actions;
pub mod lookup;
pub mod record;
pub mod transitions;
pub mod views;
