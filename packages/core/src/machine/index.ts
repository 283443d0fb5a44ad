/**
 * `@rdl/core/machine`: the XState chart of one download, for callers that drive or persist it themselves
 * (`createDownload` is the usual way in). Its context is JSON; its effects are actors given by `machine.provide()`.
 */

export type { TransferOutcome } from '../model/decision.js';
export type { DownloadContext, DownloadMachineInput } from './context.js';
export { type DownloadMachine, downloadMachine, type MachineEmitted } from './downloadMachine.js';
export type { ControlEvent, DownloadMachineEvent } from './events.js';
export { type MachineBindings, machineFor } from './machineFor.js';
export { publicStateOf } from './publicState.js';
