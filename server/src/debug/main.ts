// Placeholder: the debug adapter entry point.
export {};
