import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config.ts'

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: 'happy-dom',
      include: ['src/**/*.{test,spec}.ts'],
      restoreMocks: true,
      // The first test of a file that lazy-loads views compiles them; on a small CI machine that can
      // exceed the default 5 s.
      testTimeout: 15_000,
      unstubGlobals: true,
    },
  }),
)
