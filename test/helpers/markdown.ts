// The code blocks and sections of the project's Markdown (README.md, docs/*.md), for the tests
// that check the documentation against the code: what a reader copies must work.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { root } from './packed-package.js'

export interface CodeBlock {
  /** Path from the repository root, e.g. docs/operations.md. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** First word of the info string: ts, bash, sql, ... ('' for none). */
  lang: string
  /** The other words of the info string: run, fragment, quickstart, ... */
  tags: string[]
  /** The block's text, without the fences and without the list indentation. */
  code: string
}

/** The fenced code blocks of a Markdown text, indented ones (inside list items) included. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(.*)$/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!
    const [lang = '', ...tags] = open[2]!.trim().split(/\s+/).filter(Boolean)
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && lines[j] !== `${indent}\`\`\``) body.push(lines[j++]!.slice(indent.length))
    if (j === lines.length) throw new Error(`${file}:${i + 1}: code block never closed`)
    blocks.push({ file, line: i + 1, lang, tags, code: body.join('\n') })
    i = j
  }
  return blocks
}

/** The text of a `## title` section, up to the next `## ` heading. */
export function section(text: string, title: string): string {
  const start = text.indexOf(`\n## ${title}\n`)
  if (start === -1) throw new Error(`no "## ${title}" section`)
  const end = text.indexOf('\n## ', start + 1)
  return text.slice(start, end === -1 ? undefined : end)
}

/** README.md and every docs/*.md, with their text. */
export async function projectMarkdown(): Promise<Array<{ file: string; text: string }>> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort()
  const files = ['README.md', ...docs.map((name) => relative(root, join(root, 'docs', name)))]
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(root, file), 'utf8') })))
}
