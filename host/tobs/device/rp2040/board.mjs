// What is wired to the emulated Pico, on the pin map's pins: the SSD1306 and the DS3231 on I2C0 (answered through
// rp2040js's I2C callbacks, and bit by bit on the pins for the zero-length writes of i2c.scan(), which the rp2 port
// makes in software), the 4x4 keypad matrix (a column reads low while the row of a held key is driven low), and the
// buzzer pin, watched.
const LOW = 0; // rp2040js's LOW: the pin is an output driving 0

export const SSD1306_ADDRESS = 0x3c;
export const DS3231_ADDRESS = 0x68;
const LAYOUT = ['123A', '456B', '789C', '*0#D'];

function bcd(n) {
  return ((Math.floor(n / 10) % 10) << 4) | n % 10;
}

function unbcd(b) {
  return (b >> 4) * 10 + (b & 0x0f);
}

/**
 * The DS3231: a battery-backed clock that keeps running while the Pico is off, so its time is the host's wall
 * clock plus an offset kept in the run folder (state = {offset_s, osf}). OSF (oscillator stopped) is set until
 * the firmware sets the time, as on a chip whose battery ran flat.
 */
export class DS3231 {
  constructor(state, save) {
    this.state = state;
    this.save = save;
    this.pointer = 0;
    this.latched = null;
    this.control = 0x1c;
  }

  now() {
    return Math.floor(Date.now() / 1000) + this.state.offset_s;
  }

  registers() {
    const d = new Date(this.now() * 1000);
    const year = d.getUTCFullYear();
    return [
      bcd(d.getUTCSeconds()),
      bcd(d.getUTCMinutes()),
      bcd(d.getUTCHours()),
      ((d.getUTCDay() + 6) % 7) + 1,
      bcd(d.getUTCDate()),
      bcd(d.getUTCMonth() + 1) | (year >= 2100 ? 0x80 : 0),
      bcd(year % 100),
      0, 0, 0, 0, 0, 0, 0,
      this.control,
      this.state.osf ? 0x88 : 0x08,
      0, 0x19, 0x40,
    ];
  }

  start() {
    this.latched = this.registers(); // the chip copies its time into a buffer at each START
    this.written = [];
  }

  write(byte, first) {
    if (first) {
      this.pointer = byte % 19;
      return;
    }
    this.written.push([this.pointer, byte]);
    this.pointer = (this.pointer + 1) % 19;
  }

  read() {
    const value = this.latched[this.pointer];
    this.pointer = (this.pointer + 1) % 19;
    return value;
  }

  stop() {
    if (!this.written || !this.written.length) return;
    const regs = this.registers();
    for (const [reg, byte] of this.written) regs[reg] = byte;
    const touchedTime = this.written.some(([reg]) => reg <= 6);
    if (touchedTime) {
      const century = regs[5] & 0x80 ? 2100 : 2000;
      const t = Date.UTC(century + unbcd(regs[6]), unbcd(regs[5] & 0x1f) - 1, unbcd(regs[4] & 0x3f),
        unbcd(regs[2] & 0x3f), unbcd(regs[1] & 0x7f), unbcd(regs[0] & 0x7f)) / 1000;
      this.state.offset_s = t - Math.floor(Date.now() / 1000);
    }
    for (const [reg, byte] of this.written) {
      if (reg === 0x0e) this.control = byte;
      if (reg === 0x0f && !(byte & 0x80)) this.state.osf = false;
    }
    this.written = [];
    this.save(this.state);
  }
}

/** I2C0's devices through rp2040js's callbacks; every write to the display is handed to onDisplay(bytes). */
export function attachI2C(i2c, { ds3231, onDisplay, clock }) {
  let address = null;
  let mode = 0;
  let bytes = [];
  let first = false;
  const stats = { transactions: 0, bytes: 0, displayBytes: 0, lastDisplayNanos: 0, firstDisplayNanos: 0 };
  i2c.onStart = () => i2c.completeStart();
  i2c.onConnect = (addr, m) => {
    const known = addr === SSD1306_ADDRESS || addr === DS3231_ADDRESS;
    if (address === SSD1306_ADDRESS && bytes.length) flushDisplay();
    address = known ? addr : null;
    mode = m;
    first = true;
    if (addr === DS3231_ADDRESS) ds3231.start();
    stats.transactions++;
    stats.bytes++; // the address byte
    i2c.completeConnect(known);
  };
  i2c.onWriteByte = (value) => {
    stats.bytes++;
    if (address === SSD1306_ADDRESS) {
      bytes.push(value);
      stats.displayBytes++;
      stats.lastDisplayNanos = clock.nanos;
    } else if (address === DS3231_ADDRESS) {
      ds3231.write(value, first);
    }
    first = false;
    i2c.completeWrite(address !== null);
  };
  i2c.onReadByte = () => {
    stats.bytes++;
    i2c.completeRead(address === DS3231_ADDRESS ? ds3231.read() : 0xff);
  };
  function flushDisplay() {
    if (bytes.length) onDisplay(address, bytes);
    bytes = [];
  }
  i2c.onStop = () => {
    if (address === SSD1306_ADDRESS) flushDisplay();
    if (address === DS3231_ADDRESS) ds3231.stop();
    address = null;
    i2c.completeStop();
  };
  void mode;
  return stats;
}

/**
 * The same bus seen on its pins while the firmware bit-bangs it (the rp2 port's zero-length writes, i.e.
 * i2c.scan() and the display driver's probe): an open-drain line is low when the Pico or a device pulls it low,
 * else the pull-ups hold it high. The devices acknowledge their addresses.
 */
export function attachSoftI2C(sdaPin, sclPin, addresses) {
  let deviceLow = false; // a device holds SDA low (its acknowledgement)
  let receiving = false;
  let isAddress = false;
  let acked = false;
  let ackPhase = false;
  let bits = 0;
  let count = 0;
  let lastScl = true;
  let lastSda = true;
  const drivenLow = (pin) => pin.value === LOW;
  const update = () => {
    const scl = !drivenLow(sclPin);
    const sda = !(drivenLow(sdaPin) || deviceLow);
    if (scl && lastScl && sda !== lastSda) {
      // SDA moving while SCL is high: START (falling) or STOP (rising).
      receiving = !sda;
      isAddress = !sda;
      acked = false;
      ackPhase = false;
      deviceLow = false;
      bits = count = 0;
    } else if (receiving && scl && !lastScl && !ackPhase) {
      bits = ((bits << 1) | (sda ? 1 : 0)) & 0xff;
      count++;
    } else if (receiving && !scl && lastScl) {
      if (ackPhase) {
        ackPhase = false;
        deviceLow = false;
        if (isAddress && !acked) receiving = false;
        isAddress = false;
        bits = count = 0;
      } else if (count === 8) {
        ackPhase = true;
        if (isAddress) acked = addresses.includes(bits >> 1) && !(bits & 1);
        deviceLow = acked;
      }
    }
    const line = !(drivenLow(sdaPin) || deviceLow);
    sclPin.setInputValue(scl);
    sdaPin.setInputValue(line);
    lastScl = scl;
    lastSda = line;
  };
  sdaPin.addListener(update);
  sclPin.addListener(update);
  update();
}

/**
 * The membrane keypad: rows are the Pico's outputs (one driven low at a time), columns its inputs with pull-ups.
 * onScan(t) is called when the last row is released, i.e. after every full scan of the matrix.
 */
export class Keypad {
  constructor(rows, cols, clock, onScan) {
    this.rows = rows;
    this.cols = cols;
    this.clock = clock;
    this.held = null; // [row, col]
    this.onScan = onScan;
    this.lastRowLow = -1;
    this.sawHeld = false;
    rows.forEach((pin, r) => pin.addListener(() => this.rowChanged(r)));
    this.refresh();
  }

  static position(key) {
    for (let r = 0; r < 4; r++) {
      const c = LAYOUT[r].indexOf(key);
      if (c >= 0) return [r, c];
    }
    return null;
  }

  hold(key) {
    this.held = key === null ? null : Keypad.position(key);
    this.refresh();
  }

  rowChanged(r) {
    const low = this.rows[r].value === LOW;
    if (low) {
      this.lastRowLow = r;
      if (this.held && this.held[0] === r) this.sawHeld = true;
    }
    this.refresh();
    if (!low && r === this.rows.length - 1 && this.lastRowLow === r) {
      const saw = this.sawHeld;
      this.sawHeld = false;
      this.lastRowLow = -1;
      this.onScan(this.clock.nanos, saw);
    }
  }

  refresh() {
    this.cols.forEach((pin, c) => {
      let low = false;
      if (this.held && this.held[1] === c) low = this.rows[this.held[0]].value === LOW;
      pin.setInputValue(!low);
    });
  }
}
