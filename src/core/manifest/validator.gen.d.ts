// Types of the generated ajv standalone validator (validator.gen.js).
export declare const validateManifest: ((data: unknown) => boolean) & { errors?: import('ajv').ErrorObject[] | null };
