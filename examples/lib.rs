//! Examples for atel; see the `[[example]]` targets.
