import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The declarations each package publishes (`dist/*.d.ts`) show its public API and nothing else: no member marked
 * `@internal`, and no declaration a user sees in a signature but cannot import (a type the bundle keeps without
 * exporting it). Needs the build (`npm run build`, which `npm test` runs first).
 */
const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url))
const declarationFiles = readdirSync(packagesDir).flatMap((pkg) => {
  const dist = join(packagesDir, pkg, 'dist')
  if (!existsSync(join(packagesDir, pkg, 'package.json'))) return []
  if (!existsSync(dist)) throw new Error(`packages/${pkg} is not built: run \`npm run build\` first`)
  return readdirSync(dist)
    .filter((file) => file.endsWith('.d.ts'))
    .map((file) => ({ name: `${pkg}/dist/${file}`, path: join(dist, file) }))
})

/** Top-level declarations of a bundled `.d.ts` that its exports do not name. */
function unexportedDeclarations(text: string): string[] {
  const source = ts.createSourceFile('bundle.d.ts', text, ts.ScriptTarget.Latest, true)
  const exported = new Set<string>()
  const declared: string[] = []
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) exported.add((element.propertyName ?? element.name).text)
    }
    const isExported = (ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : []).some(
      (modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword,
    )
    const names: string[] = []
    if (
      (ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isFunctionDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    )
      names.push(statement.name.text)
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text)
    }
    for (const name of names) {
      declared.push(name)
      if (isExported) exported.add(name)
    }
  }
  return [...new Set(declared.filter((name) => !exported.has(name)))]
}

describe('published declarations', () => {
  it('cover every package (else this proves nothing)', () => {
    const names = declarationFiles.map((file) => file.name)
    for (const entry of ['core/dist/index.d.ts', 'core/dist/testing.d.ts', 'wechat-fetchers/dist/index.d.ts'])
      expect(names).toContain(entry)
  })

  it('the check finds an unexported type the bundle kept', () => {
    const leaky = 'interface Hidden { a: string }\ninterface Shown extends Hidden {}\nexport { type Shown }\n'
    expect(unexportedDeclarations(leaky)).toEqual(['Hidden'])
  })

  it.each(declarationFiles)('$name holds no @internal member and no unexported declaration', ({ path }) => {
    const text = readFileSync(path, 'utf8')
    expect(text).not.toContain('@internal')
    expect(unexportedDeclarations(text)).toEqual([])
  })

  it("WechatSource's type shows no HTTP client or expiry margin", () => {
    const text = readFileSync(join(packagesDir, 'wechat-fetchers/dist/index.d.ts'), 'utf8')
    const declaration = /declare class WechatSource[\s\S]*?\n}/.exec(text)?.[0]
    expect(declaration).toBeDefined()
    expect(declaration).not.toMatch(/\bclient\b|expiryMarginSeconds|PlatformClient/)
  })
})
