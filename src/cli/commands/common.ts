// Small helpers shared by the command modules.
export type Out = (s: string) => void;

export const collect = (value: string, previous: string[]): string[] => [...previous, value];
