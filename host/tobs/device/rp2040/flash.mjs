// The Pico's QSPI flash chip (a Winbond W25Q16JV, 2 MB) behind the RP2040's XIP SSI, so that the boot ROM's
// flash_range_erase / flash_range_program (which rp2.Flash and LittleFS use) really erase and program, with the
// chip's busy times, and the SDK's raw SSI transfers (the unique ID for machine.unique_id()) get an answer.
//
// The SSI's DR0 carries one byte each way per write; chip select is forced through IO_QSPI's GPIO_QSPI_SS_CTRL
// by the ROM and the SDK, or left to the SSI (boot2), where a transaction is a burst of bytes whose answers are
// read back before the next one starts. Erases and programs apply to the flash array at once (XIP reads see them)
// and are written through to the image file; the status register's WIP bit stays set for the datasheet's typical
// time in emulated nanoseconds, and a power cut during that time leaves the part already done (see cutAt).
import fs from 'node:fs';

// W25Q16JV datasheet, AC characteristics (typical): page program 0.4 ms, 4 KB sector erase 45 ms, 32 KB block
// erase 120 ms, 64 KB block erase 150 ms, write status register 10 ms. Reads take no modelled time.
export const BUSY_NS = {
  page: 400_000,
  sector: 45_000_000,
  block32: 120_000_000,
  block64: 150_000_000,
  status: 10_000_000,
};
const JEDEC_ID = [0xef, 0x40, 0x15];
const PAGE = 256;

const SSI = {
  CTRLR0: 0x00,
  SSIENR: 0x08,
  SR: 0x28,
  TXFLR: 0x20,
  RXFLR: 0x24,
  IDR: 0x58,
  VERSION: 0x5c,
  DR0: 0x60,
};
const SR_TFNF = 1 << 1;
const SR_TFE = 1 << 2;
const SR_RFNE = 1 << 3;
const TRACE = process.env.TOBS_RP2040_TRACE ? { n: 0 } : null;
const SS_CTRL = 0x0c;

// The RP2040's register aliases: +0x1000 XOR, +0x2000 set, +0x3000 clear (a plain write never reads first:
// reading DR0 would take a byte from the receive FIFO).
function atomic(now, type, value) {
  const next = type === 1 ? now ^ value : type === 2 ? now | value : type === 3 ? now & ~value : value;
  return next >>> 0;
} // IO_QSPI GPIO_QSPI_SS_CTRL (io[1].ctrl)

export class FlashChip {
  /**
   * flash: the emulator's flash array (XIP reads it); image: the file holding the filesystem region, which
   * starts at fsOffset in the flash; uid: the 8-byte unique ID; clock: the emulator's clock (nanos).
   */
  constructor({ flash, image, fsOffset, uid, clock }) {
    this.flash = flash;
    this.fsOffset = fsOffset;
    this.uid = uid;
    this.clock = clock;
    this.fd = fs.openSync(image, 'r+');
    this.selected = false;
    this.cmd = [];
    this.wel = false;
    this.busyUntil = 0;
    this.inFlight = null; // the erase or program whose busy time is running: {t0, t1, addr, before, after}
    this.recorder = null; // a file descriptor: every erase and program is logged with its emulated time
    this.ops = 0;
    this.counts = { page: 0, sector: 0, block: 0, bytesProgrammed: 0 };
  }

  get busy() {
    return this.clock.nanos < this.busyUntil;
  }

  select(on) {
    if (on === this.selected) return;
    if (!on) this.finish();
    this.selected = on;
    this.cmd = [];
  }

  /** One byte in on SDI, the byte the chip drives on SDO during it. */
  transfer(byte) {
    const cmd = this.cmd;
    cmd.push(byte);
    const op = cmd[0];
    const n = cmd.length - 1; // bytes after the opcode, this one included
    switch (op) {
      case 0x05:
        return n >= 1 ? (this.busy ? 1 : 0) | (this.wel ? 2 : 0) : 0xff;
      case 0x35:
        return n >= 1 ? 0x02 : 0xff; // QE set, as boot2 wants it for its quad reads
      case 0x15:
        return n >= 1 ? 0x60 : 0xff;
      case 0x9f:
        return n >= 1 && n <= 3 ? JEDEC_ID[n - 1] : 0xff;
      case 0x4b:
        return n >= 5 && n <= 12 ? this.uid[n - 5] : 0xff;
      case 0x03:
        return n >= 4 ? this.readByte(this.address() + (n - 4)) : 0xff;
      case 0x0b:
        return n >= 5 ? this.readByte(this.address() + (n - 5)) : 0xff;
      default:
        return 0xff;
    }
  }

  address() {
    return ((this.cmd[1] << 16) | (this.cmd[2] << 8) | this.cmd[3]) & (this.flash.length - 1);
  }

  readByte(addr) {
    return this.busy ? 0xff : this.flash[addr & (this.flash.length - 1)];
  }

  /** Chip select went high: commands that act at the end of the transaction do so now. */
  finish() {
    const cmd = this.cmd;
    if (!cmd.length) return;
    const op = cmd[0];
    if (this.busy) {
      return; // a busy chip ignores everything but status reads
    }
    if (op === 0x06) {
      this.wel = true;
    } else if (op === 0x04) {
      this.wel = false;
    } else if (op === 0x01 || op === 0x31) {
      if (this.wel) this.startBusy(BUSY_NS.status);
    } else if (op === 0x02 && cmd.length > 4 && this.wel) {
      this.program(this.address(), cmd.slice(4));
    } else if (op === 0x20 && cmd.length >= 4 && this.wel) {
      this.erase(this.address() & ~0xfff, 0x1000, BUSY_NS.sector);
      this.counts.sector++;
    } else if (op === 0x52 && cmd.length >= 4 && this.wel) {
      this.erase(this.address() & ~0x7fff, 0x8000, BUSY_NS.block32);
      this.counts.block++;
    } else if (op === 0xd8 && cmd.length >= 4 && this.wel) {
      this.erase(this.address() & ~0xffff, 0x10000, BUSY_NS.block64);
      this.counts.block++;
    }
    this.cmd = [];
  }

  startBusy(ns) {
    this.wel = false;
    this.busyUntil = this.clock.nanos + ns;
  }

  program(addr, data) {
    // A page program wraps within its 256-byte page and can only clear bits.
    const page = addr & ~(PAGE - 1);
    const bytes = data.slice(-PAGE);
    let start = addr & (PAGE - 1);
    if (data.length > PAGE) start = 0;
    const before = this.flash.slice(page, page + PAGE);
    const after = before.slice();
    for (let i = 0; i < bytes.length; i++) {
      const at = (start + i) % PAGE;
      after[at] &= bytes[i];
    }
    // The chip programs the bytes in the order they came; a cut leaves the first ones done.
    const order = [];
    for (let i = 0; i < bytes.length; i++) order.push((start + i) % PAGE);
    this.counts.page++;
    this.counts.bytesProgrammed += bytes.length;
    this.apply('P', page, before, after, BUSY_NS.page, order);
  }

  erase(addr, size, ns) {
    const before = this.flash.slice(addr, addr + size);
    const after = new Uint8Array(size).fill(0xff);
    this.apply('E', addr, before, after, ns, null);
  }

  apply(kind, addr, before, after, ns, order) {
    const t0 = this.clock.nanos;
    this.startBusy(ns);
    this.inFlight = { kind, t0, t1: this.busyUntil, addr, before, after, order };
    this.flash.set(after, addr);
    this.writeThrough(addr, after);
    this.ops++;
    if (this.recorder !== null) {
      const line = { kind, t0, t1: this.busyUntil, addr: addr - this.fsOffset, size: after.length };
      if (kind === 'P') {
        line.data = Buffer.from(after).toString('base64');
        line.order = order;
      }
      fs.writeSync(this.recorder, JSON.stringify(line) + '\n');
    }
  }

  writeThrough(addr, bytes) {
    if (addr < this.fsOffset) return; // the firmware's own region is loaded from its file at every boot
    fs.writeSync(this.fd, bytes, 0, bytes.length, addr - this.fsOffset);
  }

  /**
   * The power goes at emulated time `nanos`: an erase or program still running is left as far as it got (the
   * first bytes of a page program programmed, the first part of an erased sector erased: a datasheet promises
   * nothing for a cut, so this is one of the states a real chip can be left in). Returns what was cut, or null.
   */
  cutAt(nanos) {
    const op = this.inFlight;
    if (op === null || nanos >= op.t1) return null;
    const done = Math.max(0, Math.min(1, (nanos - op.t0) / (op.t1 - op.t0)));
    const state = op.before.slice();
    if (op.kind === 'P') {
      const n = Math.floor(op.order.length * done);
      for (let i = 0; i < n; i++) state[op.order[i]] = op.after[op.order[i]];
    } else {
      state.fill(0xff, 0, Math.floor(state.length * done));
    }
    this.flash.set(state, op.addr);
    this.writeThrough(op.addr, state);
    return { kind: op.kind, addr: op.addr - this.fsOffset, done };
  }

  close() {
    fs.closeSync(this.fd);
    if (this.recorder !== null) fs.closeSync(this.recorder);
    this.recorder = null;
  }
}

/** The XIP SSI with the chip behind it: what the ROM, boot2 and the SDK see in its registers. */
export class FlashSSI {
  constructor(rp2040, chip) {
    this.rp2040 = rp2040;
    this.chip = chip;
    this.regs = new Map();
    this.rx = [];
    this.auto = true; // chip select by the SSI itself (not forced through IO_QSPI)
  }

  readUint32(offset) {
    if (TRACE && TRACE.n++ < 400) process.stderr.write(`ssi r ${offset.toString(16)} rx=${this.rx.length}\n`);
    switch (offset) {
      case SSI.DR0:
        return this.rx.length ? this.rx.shift() : 0;
      case SSI.SR:
        return SR_TFNF | SR_TFE | (this.rx.length ? SR_RFNE : 0);
      case SSI.TXFLR:
        return 0;
      case SSI.RXFLR:
        return this.rx.length;
      case SSI.IDR:
        return 0x51535049;
      case SSI.VERSION:
        return 0x3430312a;
      default:
        return this.regs.get(offset) ?? 0;
    }
  }

  writeUint32(offset, value) {
    if (TRACE && TRACE.n++ < 400) process.stderr.write(`ssi w ${offset.toString(16)} ${value.toString(16)} auto=${this.auto}\n`);
    if (offset === SSI.DR0) {
      if (this.auto && this.rx.length === 0) {
        // The SSI raises chip select between bursts: the previous burst's answers were all read.
        this.chip.select(false);
        this.chip.select(true);
      }
      this.rx.push(this.chip.transfer(value & 0xff));
      if (this.rx.length > 16) this.rx.shift();
      return;
    }
    if (offset === SSI.SSIENR && !(value & 1)) {
      this.rx = [];
      if (this.auto) this.chip.select(false);
    }
    this.regs.set(offset, value >>> 0);
  }

  writeUint32Atomic(offset, value, atomicType) {
    this.writeUint32(offset, atomic(atomicType ? this.readUint32(offset) : 0, atomicType, value));
  }
}

/** IO_QSPI: only the chip select override matters (OUTOVER 2 = forced low = selected, 3 = forced high). */
export class FlashIOQSPI {
  constructor(ssi) {
    this.ssi = ssi;
    this.regs = new Map();
  }

  readUint32(offset) {
    return this.regs.get(offset) ?? 0;
  }

  writeUint32(offset, value) {
    this.regs.set(offset, value >>> 0);
    if (TRACE && TRACE.n++ < 400) process.stderr.write(`ioqspi w ${offset.toString(16)} ${value.toString(16)}\n`);
    if (offset === SS_CTRL) {
      const over = (value >> 8) & 3;
      if (over === 2) {
        this.ssi.auto = false;
        this.ssi.chip.select(true);
      } else if (over === 3) {
        this.ssi.auto = false;
        this.ssi.chip.select(false);
      } else {
        this.ssi.chip.select(false);
        this.ssi.auto = true;
      }
    }
  }

  writeUint32Atomic(offset, value, atomicType) {
    this.writeUint32(offset, atomic(atomicType ? this.readUint32(offset) : 0, atomicType, value));
  }
}
