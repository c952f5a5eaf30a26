import { describe, expect, it } from 'vitest'
import { safeNext } from '@/utils/next'

describe('safeNext', () => {
  it.each([
    ['/projects', '/projects'],
    ['/containers/abc?tab=logs#end', '/containers/abc?tab=logs#end'],
    ['/containers/proxy/0b5c/lab?token=x', '/containers/proxy/0b5c/lab?token=x'],
    ['/', '/'],
  ])('keeps the relative path %s', (input, expected) => {
    expect(safeNext(input)).toBe(expected)
  })

  it.each([
    ['absolute URL', 'https://evil.example/'],
    ['protocol-relative URL', '//evil.example/x'],
    ['backslash trick', '/\\evil.example'],
    ['javascript URL', 'javascript:alert(1)'],
    ['relative path without slash', 'projects'],
    ['tab that URL parsers drop', '/\t/evil.example'],
    ['newline', '/x\n'],
    ['empty string', ''],
    ['the login page itself', '/login?next=/x'],
    ['dot segments that collapse into //host', '/..//evil.example'],
    ['single dot segment before //host', '/.//evil.example'],
    ['dot segments deeper in the path', '/a/b/../..//evil.example/x'],
    ['percent-encoded dot segments', '/%2e%2e//evil.example'],
    ['mixed-case percent-encoded dot segments', '/%2E./%2e//evil.example'],
    ['percent-encoded single dot segment', '/%2e//evil.example'],
    ['dot segments and backslashes', '/..\\\\evil.example'],
    ['dot segment, slash and backslash', '/./\\evil.example'],
    ['backslashes that URL parsers read as slashes', '/x\\..\\..\\\\evil.example'],
    ['tab inside dot segments', '/.\t./\t/evil.example'],
  ])('refuses a %s', (_name, input) => {
    expect(safeNext(input)).toBe('/')
  })

  it.each([
    ['/a/../projects', '/projects'],
    ['/%2e%2e/projects', '/projects'],
    ['/containers/./abc', '/containers/abc'],
    ['/..%2f/evil.example', '/..%2f/evil.example'],
  ])('normalises %s to the local path %s', (input, expected) => {
    expect(safeNext(input)).toBe(expected)
  })

  it('refuses values that are not strings', () => {
    expect(safeNext(undefined)).toBe('/')
    expect(safeNext(null)).toBe('/')
    expect(safeNext(42)).toBe('/')
  })

  it('takes the first of repeated query values', () => {
    expect(safeNext(['/timeline', '//evil'])).toBe('/timeline')
  })

  it('uses the given fallback', () => {
    expect(safeNext('//evil', '/home')).toBe('/home')
  })
})
