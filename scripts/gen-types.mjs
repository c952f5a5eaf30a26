#!/usr/bin/env node
// Generates the single-page app's wire types, frontend/src/api/schema.gen.ts, from the OpenAPI document the Go
// server serves (app/api/openapi.json), formatted with the repository's prettier settings.
//
//   node scripts/gen-types.mjs          write the file (npm run gen:types)
//   node scripts/gen-types.mjs --check  exit 1 when the committed file differs from what the document makes
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import * as prettier from 'prettier'

export const source = fileURLToPath(new URL('../app/api/openapi.json', import.meta.url))
export const target = fileURLToPath(new URL('../frontend/src/api/schema.gen.ts', import.meta.url))

const header = `// Generated from app/api/openapi.json by \`npm run gen:types\` (scripts/gen-types.mjs); do not edit.
// frontend/src/api/types.ts names the schemas the app uses.

`

/** The text schema.gen.ts must have for the current document. */
export async function generateTypes() {
  const doc = JSON.parse(await readFile(source, 'utf8'))
  // A default does not make a request field required.
  const ast = await openapiTS(doc, { silent: true, defaultNonNullable: false })
  const options = (await prettier.resolveConfig(target)) ?? {}
  return prettier.format(header + astToString(ast), { ...options, filepath: target })
}

async function main() {
  const text = await generateTypes()
  if (!process.argv.includes('--check')) {
    await writeFile(target, text)
    return
  }
  const committed = await readFile(target, 'utf8').catch(() => '')
  if (committed !== text) {
    console.error(
      'frontend/src/api/schema.gen.ts is not what app/api/openapi.json makes: run `npm run gen:types`',
    )
    process.exit(1)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main()
}
