//! The authorization matrix: every route × every role × own and foreign objects.
