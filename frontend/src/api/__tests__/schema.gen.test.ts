// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { generateTypes } from '../../../../scripts/gen-types.mjs'
import committed from '../schema.gen.ts?raw'

describe('generated wire types', () => {
  it('are what app/api/openapi.json makes (run `npm run gen:types` after changing it)', async () => {
    expect(await generateTypes()).toBe(committed)
  })
})
