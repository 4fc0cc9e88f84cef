//! Soft-suspension through the service layer, on both databases.
