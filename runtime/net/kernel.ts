// What the kernel offers container networks, for `lite info`: each option from
// /proc/config.gz where the kernel has it, else whether its module is loaded.

import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** The options a network type needs, and the module that provides each. */
export const NET_KERNEL_OPTIONS = [
  { option: 'CONFIG_BRIDGE', module: 'bridge' }, // type = bridge
  { option: 'CONFIG_VETH', module: 'veth' }, // type = bridge
  { option: 'CONFIG_NF_TABLES', module: 'nf_tables' }, // type = bridge (NAT, publish)
  { option: 'CONFIG_NFT_NAT', module: 'nft_chain_nat' }, // type = bridge (NAT, publish)
  { option: 'CONFIG_NFT_MASQ', module: 'nft_masq' }, // type = bridge (NAT)
  { option: 'CONFIG_NFT_FIB_IPV4', module: 'nft_fib_ipv4' }, // publish[]
  { option: 'CONFIG_MACVLAN', module: 'macvlan' }, // type = macvlan
  { option: 'CONFIG_IPVLAN', module: 'ipvlan' }, // type = ipvlan
  { option: 'CONFIG_BRIDGE_NETFILTER', module: 'br_netfilter' }, // bridged traffic crosses the forward hooks when set
] as const

export type OptionState = 'y' | 'm' | 'no' | 'loaded' | 'unknown'

function kernelConfig(): string | undefined {
  try {
    return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8')
  } catch {
    return undefined
  }
}

export function netKernelSupport(config = kernelConfig(), moduleLoaded = (m: string) => existsSync(`/sys/module/${m}`)): Record<string, OptionState> {
  const out: Record<string, OptionState> = {}
  for (const { option, module } of NET_KERNEL_OPTIONS) {
    if (config !== undefined) {
      const m = new RegExp(`^${option}=([ym])$`, 'm').exec(config)
      out[option] = m ? (m[1] as 'y' | 'm') : 'no'
    } else {
      out[option] = moduleLoaded(module) ? 'loaded' : 'unknown'
    }
  }
  return out
}
