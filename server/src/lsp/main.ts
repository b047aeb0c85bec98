// Placeholder: the language server entry point.
export {};
