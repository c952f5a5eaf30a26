// Types of scripts/gen-types.mjs for the test that keeps frontend/src/api/schema.gen.ts current.
export declare const source: string
export declare const target: string
export declare function generateTypes(): Promise<string>
