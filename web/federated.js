// hush.FederatedClient: one participant of a hush-server federated task (core/include/hush/federated.h),
// in a browser tab, a Web Worker (createWorker().federate) or Node.
//
//   const identity = await hush.net.loadIdentity('bank-1');
//   const ledger = await hush.net.openLedger('bank-1', { budgetEpsilon: 3 });
//   const client = new hush.FederatedClient({ url, identity, token, task: 'credit', data: myRows, ledger });
//   client.addEventListener('round', (e) => console.log(e.detail.round, e.detail.epsilon));
//   const { model, rounds } = await client.run();   // the final global model file
//
// Each round: the global model arrives; the participant's rows are split once into training and
// validation rows (keyed by its identity, so the split never changes); the round's privacy cost is
// charged to the ledger and the ledger saved BEFORE anything of the round is sent (over budget:
// the round is declined, the participant leaves); it trains locally with the core's training
// driver and sends the update through secure aggregation. The rows never leave this process.
// Events: 'model' {round, model}, 'round' {round, n, trainRows, validationRows,
// validationAccuracy, validationLoss, updateNorm, steps, privacy, epsilon, budgetEpsilon},
// 'declined' {round, epsilon, budgetEpsilon}, 'result' {round, status}, 'close'.
export function defineFederated(rt, { net, isDataset }) {
  class FederatedClient extends EventTarget {
    #opts;
    #conn = null;
    #train = null;
    #validation = null;
    #stats = { rounds: 0, aborted: 0, declined: 0, contributed: 0, lastRound: 0 };
    #privacy = null;
    #last = null;

    // opts: { url, identity (hush.net.loadIdentity), token (first connection only), task, data (a
    // hush Dataset: the participant's rows), ledger (hush.net.openLedger; omit for tasks without
    // privacy or to keep no budget), rounds (committed rounds to take part in; default: until the
    // task ends), pins, WebSocket, seed (tests only: reproducible noise, so NOT private) }.
    constructor(opts = {}) {
      super();
      if (!isDataset(opts.data)) throw rt.fail('HUSH_EARG', 'data must be a hush Dataset (the participant\'s rows)');
      if (opts.ledger !== undefined && opts.ledger !== null && !(opts.ledger instanceof net.Ledger)) {
        throw rt.fail('HUSH_EARG', 'ledger must come from hush.net.openLedger');
      }
      if (opts.rounds !== undefined && !(Number.isInteger(opts.rounds) && opts.rounds >= 0)) {
        throw rt.fail('HUSH_EARG', 'rounds must be a non-negative integer');
      }
      this.#opts = opts;
    }

    // Takes part until the task ends or opts.rounds rounds have committed, or the budget would be
    // exceeded. Resolves with { rounds, aborted, declined, contributed, lastRound, trainRows,
    // validationRows, model (the final global model file, or null), epsilon, budgetEpsilon,
    // privacy, private, noise }.
    async run() {
      if (this.#conn) throw rt.fail('HUSH_ESTATE', 'run() was already called');
      const o = this.#opts;
      this.#conn = await net.connect(o.url, { identity: o.identity, token: o.token, pins: o.pins, WebSocket: o.WebSocket });
      const conn = this.#conn;
      return new Promise((resolve, reject) => {
        let settled = false;
        const finish = (err) => {
          if (settled) return;
          settled = true;
          const summary = this.#summary();
          conn.close();
          this.#free();
          if (err) reject(err);
          else resolve(summary);
        };
        conn.addEventListener('failed', (e) => finish(e.detail.error));
        conn.addEventListener('close', () => finish(null));
        conn.addEventListener('model', (e) => {
          this.#last = conn.latestModel();
          this.#emit('model', { round: e.detail.round, model: this.#last });
        });
        conn.addEventListener('result', (e) => {
          const r = e.detail;
          this.#stats.lastRound = r.round;
          if (r.status === 'committed') this.#stats.rounds++;
          else this.#stats.aborted++;
          this.#emit('result', { round: r.round, status: r.status });
          if (r.finished || (o.rounds && this.#stats.rounds >= o.rounds)) finish(null);
        });
        conn.federate(o.task, async (round, ops) => {
          const declined = await this.#round(round, ops);
          // leave once the DECLINE has gone out (the connection flushes it when this returns)
          if (declined) setTimeout(() => finish(null), 0);
        });
      });
    }

    async #round(round, ops) {
      const o = this.#opts;
      const { terms } = ops.model();
      this.#privacy = terms.privacy;
      if (!this.#train) [this.#train, this.#validation] = ops.split(o.data);
      const od = o.ledger ? o.ledger.odometer : null;
      const before = od ? od.count : 0;
      if (ops.charge(od, this.#train.rows)) {
        this.#stats.declined++;
        this.#emit('declined', { round: round.round, ...this.#spent() });
        return true;
      }
      if (od && od.count !== before) await o.ledger.save(); // the cost is stored before anything is sent
      const report = ops.contribute(this.#train, this.#validation, o.seed);
      this.#stats.contributed++;
      this.#emit('round', { round: round.round, n: round.n, ...report, privacy: terms.privacy, ...this.#spent() });
      return false;
    }

    #spent() {
      const od = this.#opts.ledger?.odometer;
      if (!od) return { epsilon: 0, budgetEpsilon: null };
      return { epsilon: od.spent().upper, budgetEpsilon: od.budgetEpsilon, delta: od.budgetDelta };
    }

    #summary() {
      const seeded = this.#opts.seed !== undefined && this.#opts.seed !== null;
      return {
        ...this.#stats, model: this.#last, ...this.#spent(), privacy: this.#privacy,
        trainRows: this.#train ? this.#train.rows : 0, validationRows: this.#validation ? this.#validation.rows : 0,
        private: !seeded && this.#privacy !== null && this.#privacy !== 'none',
        noise: seeded ? 'reproducible' : 'os',
      };
    }

    #emit(type, detail) {
      const e = new Event(type);
      Object.assign(e, { detail });
      this.dispatchEvent(e);
    }

    #free() {
      this.#train?.free();
      this.#validation?.free();
      this.#train = this.#validation = null;
      this.#emit('close', {});
    }

    close() {
      this.#conn?.close();
    }
  }
  return FederatedClient;
}
