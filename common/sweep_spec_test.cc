// Placeholder: replaced by the sweep-spec tests.
