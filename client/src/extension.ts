// Placeholder until the client lands: the extension activates and does nothing.
export function activate(): void {}
export function deactivate(): void {}
