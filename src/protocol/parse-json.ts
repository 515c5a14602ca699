// Alipay+ messages are JSON read from raw bytes (the bytes are what is signed). JSON never
// parses to undefined, so undefined here means "not JSON".
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return undefined
  }
}
