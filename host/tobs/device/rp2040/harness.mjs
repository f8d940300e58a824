// The emulated RP2040 handheld: the official MicroPython firmware image running in rp2040js, with the flash chip,
// the display, the clock chip and the keypad of board.mjs / flash.mjs, driven by the Python side (rp2040_pico.py)
// over stdin/stdout in frames: kind (one ASCII byte) | length (4 bytes, big-endian) | payload.
//
// In:  P power on | X power off now | C cut the power at emulated time (8-byte float, ns since power-on) |
//      K press a key (the key) | S bytes to the USB serial port | O record flash writes to a file (its path, with the
//      image as it is now in path.base; empty stops) | A let time pass (8-byte float, ns) | Y statistics | Q quit
// Out: B booted | U USB enumerated | S bytes from the USB serial port | W I2C write (address, 8-byte float ns,
//      bytes) | I a key was handled (JSON timings) | X power went off (JSON) | Y statistics (JSON) | G buzzer pin |
//      L log line | E a command was refused (text)
//
// Emulated time never runs ahead of the wall clock (a sleeping Pico sleeps as long as a real one), so the PC's
// timeouts and the firmware's mean the same; with "paced": false it runs as fast as it can.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const config = JSON.parse(process.argv[2]);
const require = createRequire(path.join(config.node_modules, 'noop.js'));
const rp = require('rp2040js');
const { FlashChip, FlashSSI, FlashIOQSPI } = await import('./flash.mjs');
const { DS3231, DS3231_ADDRESS, SSD1306_ADDRESS, Keypad, attachI2C, attachSoftI2C } = await import('./board.mjs');

const NS_PER_CYCLE = 8; // 125 MHz
const SLICE_INSTRUCTIONS = 20000;
const KEY_SETTLE_NS = 22e6; // the firmware's debouncer wants 20 ms of the same reading
const IDLE_SLEEP_NS = 5e6; // a scan after this long asleep means the main loop went round without work

const bootrom = new Uint32Array(new Uint8Array(fs.readFileSync(config.bootrom)).buffer);
const firmware = fs.readFileSync(config.firmware);
const uid = Uint8Array.from(Buffer.from(config.uid, 'hex'));
const pins = config.pins;
if (!fs.existsSync(config.flash_image)) {
  fs.writeFileSync(config.flash_image, Buffer.alloc(config.fs_size, 0xff), { mode: 0o600 });
}
const dsState = fs.existsSync(config.ds3231_state)
  ? JSON.parse(fs.readFileSync(config.ds3231_state, 'utf8'))
  : config.clock === 'host'
    ? { offset_s: 0, osf: false }
    : { offset_s: Math.floor(Date.UTC(2000, 0, 1) / 1000 - Date.now() / 1000), osf: true };
const ds3231 = new DS3231(dsState, (state) =>
  fs.writeFileSync(config.ds3231_state, JSON.stringify(state) + '\n', { mode: 0o600 }),
);

// ---- frames ----------------------------------------------------------------------------------------------------
function emit(kind, payload) {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  process.stdout.write(Buffer.concat([head, body]));
}
const emitJSON = (kind, obj) => emit(kind, JSON.stringify(obj));
const log = (line) => emit('L', line);
const quiet = { debug() {}, info() {}, warn() {}, error: (name, msg) => process.stderr.write(`${name}: ${msg}\n`) };

// ---- the chip --------------------------------------------------------------------------------------------------
let chip = null; // {rp2040, clock, flash, keypad, i2c, usb, ...} while powered
let boots = 0;
let cutAt = null;
let recorderPath = null;
const totals = { cycles: 0, nanos: 0, wallMs: 0 };

function powerOn(reason) {
  const simulator = new rp.Simulator(); // only for its clock and chip: the loop below runs the chip
  const { clock, rp2040 } = simulator;
  rp2040.logger = quiet;
  rp2040.loadBootrom(bootrom);
  rp2040.flash.set(firmware, 0);
  const image = fs.readFileSync(config.flash_image);
  rp2040.flash.set(image.subarray(0, config.fs_size), config.fs_offset);
  const flash = new FlashChip({ flash: rp2040.flash, image: config.flash_image, fsOffset: config.fs_offset, uid, clock });
  if (recorderPath) flash.recorder = fs.openSync(recorderPath, 'a', 0o600);
  const ssi = new FlashSSI(rp2040, flash);
  rp2040.peripherals[0x18000] = ssi;
  rp2040.peripherals[0x40018] = new FlashIOQSPI(ssi);
  const state = {
    rp2040, clock, flash, boot: ++boots, usbReady: false, pendingRead: null, usbIn: [], press: null, keys: [],
    sleptNs: 0, bootWall: performance.now(), cycles: 0, resetRequested: false,
    // When the firmware last took bytes from the PC and last sent some: the device side of a transfer in
    // emulated time, without the PC's own delays.
    usb: { inBytes: 0, lastInNanos: 0, outBytes: 0, lastOutNanos: 0 },
  };
  const i2cStats = attachI2C(rp2040.i2c[0], {
    ds3231,
    clock,
    onDisplay: (addr, bytes) => {
      const head = Buffer.alloc(9);
      head[0] = addr;
      head.writeDoubleBE(clock.nanos, 1);
      emit('W', Buffer.concat([head, Buffer.from(bytes)]));
    },
  });
  state.i2c = i2cStats;
  attachSoftI2C(rp2040.gpio[pins.i2c_sda], rp2040.gpio[pins.i2c_scl], [SSD1306_ADDRESS, DS3231_ADDRESS]);
  const rows = [1, 2, 3, 4].map((i) => rp2040.gpio[pins[`key_row_${i}`]]);
  const cols = [1, 2, 3, 4].map((i) => rp2040.gpio[pins[`key_col_${i}`]]);
  state.keypad = new Keypad(rows, cols, clock, (t, saw) => onScan(state, t, saw));
  rp2040.gpio[pins.buzzer].addListener((value) => {
    if (value <= 1) emitJSON('G', { t: clock.nanos, value }); // driven low or high; pad changes are not sound
  });
  const watchdog = rp2040.peripherals[0x40058];
  watchdog.onWatchdogTrigger = () => {
    state.resetRequested = true;
  };
  const cdc = new rp.USBCDC(rp2040.usbCtrl);
  cdc.onDeviceConnected = () => {
    state.usbReady = true;
    emitJSON('U', { t: clock.nanos, boot: state.boot });
  };
  cdc.onSerialData = (buffer) => {
    state.usb.outBytes += buffer.length;
    state.usb.lastOutNanos = clock.nanos;
    emit('S', buffer);
  };
  const usb = rp2040.usbCtrl;
  usb.onEndpointRead = (endpoint, size) => {
    // Held until the PC has sent something: answering an armed endpoint with nothing only makes it ask again.
    if (endpoint === cdc.outEndpoint) {
      state.pendingRead = { endpoint, size };
      deliver(state);
    }
  };
  state.cdc = cdc;
  rp2040.core.PC = 0x10000000;
  chip = state;
  emitJSON('B', { boot: state.boot, reason });
}

function deliver(state) {
  const pending = state.pendingRead;
  if (!pending || !state.usbIn.length) return;
  const n = Math.min(pending.size, state.usbIn.length);
  const buffer = Uint8Array.from(state.usbIn.splice(0, n));
  state.pendingRead = null;
  state.usb.inBytes += n;
  state.usb.lastInNanos = state.clock.nanos;
  state.rp2040.usbCtrl.endpointReadDone(pending.endpoint, buffer);
}

function powerOff(why) {
  if (chip === null) return null;
  const state = chip;
  const cut = state.flash.cutAt(state.clock.nanos);
  state.flash.close();
  addTotals(state);
  chip = null;
  cutAt = null;
  const info = { t: state.clock.nanos, boot: state.boot, why, cut };
  emitJSON('X', info);
  return info;
}

function current(state) {
  return { cycles: state.cycles, nanos: state.clock.nanos, wallMs: performance.now() - state.bootWall };
}

function addTotals(state) {
  const now = current(state);
  totals.cycles += now.cycles;
  totals.nanos += now.nanos;
  totals.wallMs += now.wallMs;
}

// ---- keys ------------------------------------------------------------------------------------------------------
function startPress(state) {
  if (state.press || !state.keys.length) return;
  const key = state.keys.shift();
  state.press = { key, down: state.clock.nanos, firstSeen: null, reported: null, bytesAtRelease: 0 };
  state.keypad.hold(key);
}

function onScan(state, t, saw) {
  const press = state.press;
  const slept = state.sleptNs;
  state.sleptNs = 0;
  if (!press) return;
  if (press.reported === null) {
    if (!saw) return;
    if (press.firstSeen === null) press.firstSeen = t;
    else if (t - press.firstSeen >= KEY_SETTLE_NS) {
      // The debouncer has reported it: let go, and wait for the loop to come round to its sleep.
      press.reported = t;
      press.bytesAtRelease = state.i2c.displayBytes;
      press.busBytesAtRelease = state.i2c.bytes;
      press.lastDisplayBefore = state.i2c.lastDisplayNanos;
      state.keypad.hold(null);
    }
    return;
  }
  if (slept < IDLE_SLEEP_NS) return;
  const displayBytes = state.i2c.displayBytes - press.bytesAtRelease;
  emitJSON('I', {
    key: press.key,
    down: press.down,
    reported: press.reported,
    idle: t,
    display_bytes: displayBytes,
    bus_bytes: state.i2c.bytes - press.busBytesAtRelease,
    last_display: displayBytes ? state.i2c.lastDisplayNanos : null,
  });
  state.press = null;
  startPress(state);
}

// ---- running ---------------------------------------------------------------------------------------------------
function runSlice() {
  const state = chip;
  const { rp2040, clock } = state;
  const core = rp2040.core;
  const allowed = config.paced ? (performance.now() - state.bootWall) * 1e6 : Infinity;
  for (let i = 0; i < SLICE_INSTRUCTIONS; i++) {
    if (cutAt !== null && clock.nanos >= cutAt) {
      clock.nanosCounter = cutAt;
      powerOff('cut');
      return 0;
    }
    if (core.waiting) {
      let dt = clock.nanosToNextAlarm;
      if (dt <= 0) dt = 1e6;
      if (clock.nanos + dt > allowed) {
        return Math.min(5, (clock.nanos + dt - allowed) / 1e6); // asleep until the wall clock catches up
      }
      if (cutAt !== null && clock.nanos + dt > cutAt) dt = cutAt - clock.nanos;
      clock.tick(dt);
      state.sleptNs += dt;
    } else {
      const cycles = core.executeInstruction();
      state.cycles += cycles;
      clock.tick(cycles * NS_PER_CYCLE);
    }
    if (state.resetRequested) {
      powerOff('reset');
      powerOn('reset');
      return 0;
    }
  }
  return 0;
}

function loop() {
  if (chip === null) return;
  deliver(chip);
  const wait = runSlice();
  if (chip === null) return;
  if (wait > 0) setTimeout(loop, wait);
  else setImmediate(loop);
}

// ---- commands --------------------------------------------------------------------------------------------------
let inbox = Buffer.alloc(0);
process.stdin.on('data', (data) => {
  inbox = Buffer.concat([inbox, data]);
  while (inbox.length >= 5) {
    const length = inbox.readUInt32BE(1);
    if (inbox.length < 5 + length) break;
    const kind = String.fromCharCode(inbox[0]);
    const payload = inbox.subarray(5, 5 + length);
    inbox = inbox.subarray(5 + length);
    command(kind, payload);
  }
});
process.stdin.on('end', () => quit());

function command(kind, payload) {
  const powered = chip !== null;
  switch (kind) {
    case 'P':
      if (powered) return emit('E', 'already powered');
      powerOn('power');
      setImmediate(loop);
      return;
    case 'X':
      if (!powered) return emit('E', 'not powered');
      powerOff('power');
      return;
    case 'C':
      if (!powered) return emit('E', 'not powered');
      cutAt = payload.readDoubleBE(0);
      return;
    case 'K':
      if (!powered) return emit('E', 'not powered');
      chip.keys.push(...payload.toString('latin1'));
      startPress(chip);
      return;
    case 'S':
      if (powered && chip.usbReady) chip.usbIn.push(...payload); // a host cannot send before enumeration
      return;
    case 'A': {
      // Time passes at once: the chip runs through it unpaced, the clock chip moves with it.
      if (!powered) return emit('E', 'not powered');
      const ns = payload.readDoubleBE(0);
      chip.bootWall -= ns / 1e6;
      ds3231.state.offset_s += Math.round(ns / 1e9);
      ds3231.save(ds3231.state);
      return;
    }
    case 'O':
      recorderPath = payload.length ? payload.toString('utf8') : null;
      if (recorderPath) {
        // The filesystem as it is now: the recorded operations replayed onto it give the flash at any instant.
        const now = powered
          ? chip.rp2040.flash.subarray(config.fs_offset, config.fs_offset + config.fs_size)
          : fs.readFileSync(config.flash_image);
        fs.writeFileSync(recorderPath + '.base', now, { mode: 0o600 });
        fs.writeFileSync(recorderPath, '', { mode: 0o600 });
      }
      if (powered) {
        if (chip.flash.recorder !== null) fs.closeSync(chip.flash.recorder);
        chip.flash.recorder = recorderPath ? fs.openSync(recorderPath, 'a', 0o600) : null;
      }
      return;
    case 'Y': {
      const now = chip ? current(chip) : { cycles: 0, nanos: 0, wallMs: 0 };
      emitJSON('Y', {
        powered,
        boot: boots,
        nanos_since_power_on: chip ? chip.clock.nanos : null,
        pc: chip ? chip.rp2040.core.PC : null,
        cycles: totals.cycles + now.cycles,
        emulated_ns: totals.nanos + now.nanos,
        wall_ms: totals.wallMs + now.wallMs,
        flash: chip ? { ops: chip.flash.ops, ...chip.flash.counts } : null,
        i2c: chip ? { ...chip.i2c } : null,
        usb: chip ? { ...chip.usb } : null,
      });
      return;
    }
    case 'Q':
      quit();
      return;
    default:
      emit('E', `unknown command ${kind}`);
  }
}

function quit() {
  if (chip !== null) {
    chip.flash.close();
    chip = null;
  }
  process.stdout.write('', () => process.exit(0));
}
