//! Who may see and do what: the only place roles are examined.
//!
//! Every service function names the [`Place`] of the object it touches and asks
//! [`Actor::authorize`]. An object outside the actor's part of the hierarchy is reported as
//! not found (so ids of other customers leak nothing); one the actor can see but may not
//! change is forbidden. List queries are narrowed with [`Actor::scope`].
use crate::domain::Role;

/// The signed-in person, as every request sees them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub admin_id: i32,
    pub login: String,
    pub role: Role,
    /// Set for company and domain admins.
    pub company_id: Option<i32>,
    /// The domains a domain admin looks after; empty for other roles.
    pub domain_ids: Vec<i32>,
    /// The client address, recorded with what the actor does.
    pub client_addr: String,
}

/// Where an object sits in the company → domain hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Platform-wide things: the list of companies, platform and support users.
    Platform,
    Company(i32),
    Domain {
        company_id: i32,
        domain_id: i32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the object.
    View,
    /// Create or delete companies, or change a company's status and anti-abuse settings.
    ManageCompanies,
    /// Edit a company's own details.
    EditCompany,
    /// Create, rename or delete domains of a company.
    ManageDomains,
    /// Create, edit, delete mailboxes of a domain and set their passwords.
    ManageMailboxes,
    /// Create, edit and delete admin users of the given role at this place.
    ManageAdmins(Role),
    /// Platform machinery: API tokens, the complaint quarantine, reports pasted by hand.
    ManagePlatform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Outside the actor's part of the hierarchy: answered as if it did not exist.
    NotFound,
    /// Visible, but the role may not do this.
    Forbidden,
}

/// A filter for list queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Company(i32),
    Domains(Vec<i32>),
}

impl Actor {
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Platform | Role::Support => Scope::Everything,
            Role::Company => Scope::Company(self.company_id.unwrap_or(-1)),
            Role::Domain => Scope::Domains(self.domain_ids.clone()),
        }
    }

    /// Whether the object at `place` exists as far as this actor is concerned.
    pub fn sees(&self, place: Place) -> bool {
        match (self.role, place) {
            (Role::Platform | Role::Support, _) => true,
            (Role::Company, Place::Company(c) | Place::Domain { company_id: c, .. }) => {
                self.company_id == Some(c)
            }
            (Role::Domain, Place::Domain { domain_id, .. }) => self.domain_ids.contains(&domain_id),
            (Role::Company | Role::Domain, Place::Platform) => false,
            (Role::Domain, Place::Company(_)) => false,
        }
    }

    pub fn may(&self, action: Action, place: Place) -> bool {
        self.authorize(action, place).is_ok()
    }

    pub fn authorize(&self, action: Action, place: Place) -> Result<(), Denied> {
        if !self.sees(place) {
            return Err(Denied::NotFound);
        }
        let allowed = match (self.role, action) {
            (_, Action::View) => true,
            (Role::Support, _) => false,
            (Role::Platform, _) => true,
            (Role::Company, Action::EditCompany | Action::ManageDomains | Action::ManageMailboxes) => true,
            // A company admin looks after the domain admins of their own company.
            (Role::Company, Action::ManageAdmins(Role::Domain)) => true,
            (Role::Domain, Action::ManageMailboxes) => true,
            _ => false,
        };
        if allowed { Ok(()) } else { Err(Denied::Forbidden) }
    }

    /// For admin users: one's own record is always visible, and a change the role may not make
    /// to it answers 403 rather than pretending it does not exist.
    pub fn authorize_on_admin(&self, action: Action, place: Place, admin_id: i32) -> Result<(), Denied> {
        match self.authorize(action, place) {
            Err(Denied::NotFound) if admin_id == self.admin_id => {
                if action == Action::View {
                    Ok(())
                } else {
                    Err(Denied::Forbidden)
                }
            }
            other => other,
        }
    }

    /// The place the front page and the look-up are answered from.
    pub fn home(&self) -> Place {
        match (self.role, self.company_id) {
            (Role::Company, Some(c)) => Place::Company(c),
            _ => Place::Platform,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, company_id: Option<i32>, domain_ids: Vec<i32>) -> Actor {
        Actor {
            admin_id: 1,
            login: "x".into(),
            role,
            company_id,
            domain_ids,
            client_addr: "127.0.0.1".into(),
        }
    }

    const OWN: Place = Place::Domain { company_id: 1, domain_id: 10 };
    const SIBLING: Place = Place::Domain { company_id: 1, domain_id: 11 };
    const FOREIGN: Place = Place::Domain { company_id: 2, domain_id: 20 };

    #[test]
    fn foreign_objects_are_not_found_and_support_changes_nothing() {
        let company = actor(Role::Company, Some(1), vec![]);
        let domain = actor(Role::Domain, Some(1), vec![10]);
        let support = actor(Role::Support, None, vec![]);
        assert_eq!(company.authorize(Action::ManageMailboxes, FOREIGN), Err(Denied::NotFound));
        assert_eq!(company.authorize(Action::ManageMailboxes, SIBLING), Ok(()));
        assert_eq!(domain.authorize(Action::ManageMailboxes, OWN), Ok(()));
        assert_eq!(domain.authorize(Action::ManageMailboxes, SIBLING), Err(Denied::NotFound));
        assert_eq!(domain.authorize(Action::ManageDomains, OWN), Err(Denied::Forbidden));
        assert_eq!(domain.authorize(Action::View, Place::Company(1)), Err(Denied::NotFound));
        assert_eq!(support.authorize(Action::View, FOREIGN), Ok(()));
        assert_eq!(support.authorize(Action::ManageMailboxes, FOREIGN), Err(Denied::Forbidden));
        assert_eq!(company.authorize(Action::ManageCompanies, Place::Company(1)), Err(Denied::Forbidden));
        assert_eq!(company.authorize(Action::ManageAdmins(Role::Domain), Place::Company(1)), Ok(()));
        assert_eq!(
            company.authorize(Action::ManageAdmins(Role::Company), Place::Company(1)),
            Err(Denied::Forbidden)
        );
    }
}
