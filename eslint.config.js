import pluginVue from 'eslint-plugin-vue'
import { withVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import skipFormatting from '@vue/eslint-config-prettier/skip-formatting'

export default withVueTs(
  {
    name: 'kiosc/ignores',
    // Only the single-page app and its tooling are linted here.
    ignores: [
      '**/node_modules/**',
      'frontend/dist/**',
      'test-artifacts/**',
      'bin/**',
      'kiosc-data/**',
      'app/**',
      'migrations/**',
      'scripts/**',
      '.ci/**',
    ],
  },
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  {
    name: 'kiosc/rules',
    rules: {
      'vue/multi-word-component-names': 'off',
      'vue/block-lang': ['error', { script: { lang: 'ts' } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  skipFormatting,
)
