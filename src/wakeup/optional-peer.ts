// The wake-up channels' drivers are optional peer dependencies, loaded only when the option
// asks for them, so that an application that does not use a channel needs neither installed.
import { InvalidOptionError } from '../errors.js'

export async function loadOptionalPeer<Module>(load: () => Promise<Module>, what: string, name: string): Promise<Module> {
  try {
    return await load()
  } catch {
    throw new InvalidOptionError('wakeup', `${what} needs the ${name} package: npm install ${name}`)
  }
}
