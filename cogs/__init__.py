"""Discord-facing features. Each module here is an extension loaded at start-up."""
