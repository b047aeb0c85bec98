// Placeholder: the CLI entry point.
export {};
