// hush.train(): the `hush train` pipeline in JS, step for step in the canonical order
// (parse -> digits scale 1/16 -> "split" -> create -> input norm from the training statistics
// for arff/csv -> "init" -> optimiser -> epochs with "shuffle" -> evaluate), so one seed gives
// the CLI's model bytes. The model standardises its own input, so the saved file takes raw rows.

const now = () => (globalThis.performance ? performance.now() : Date.now());

export function defineTrain(rt, Model, data) {
  function parseInput(input, format) {
    if (data.isDataset(input)) return { ds: input, owned: false };
    if (input && typeof input === 'object' && 'images' in input && 'labels' in input) {
      return { ds: data.parseIdx(input.images, input.labels), owned: true };
    }
    let ds;
    if (format === 'arff') ds = data.parseArff(input);
    else if (format === 'csv' || format === 'digits') ds = data.parseCsv(input);
    else throw rt.fail('HUSH_EARG', `format must be arff, csv, digits or idx (got ${format})`);
    if (format === 'digits') {
      try {
        ds.scale(1 / 16);
      } catch (e) {
        ds.free();
        throw e;
      }
    }
    return { ds, owned: true };
  }

  return async function train(opts) {
    const {
      data: input, testData, format, spec, epochs = 10, batchSize = 32, lr = 0.01,
      optimizer = 'sgd', weightDecay = 0, seed = 1, testFraction = 0.2, onEpoch,
    } = opts || {};
    const standardize = opts.standardize ?? (format === 'arff' || format === 'csv');
    const owned = [];
    let model = null;
    try {
      const all = parseInput(input, format);
      if (all.owned) owned.push(all.ds);
      let train, test;
      if (testData !== undefined) {
        const t = parseInput(testData, format);
        if (t.owned) owned.push(t.ds);
        [train, test] = [all.ds, t.ds];
      } else {
        [train, test] = all.ds.split({ testFraction, seed });
        owned.push(train, test);
      }
      const trainRows = train.rows, testRows = test.rows;
      if (trainRows === 0) throw rt.fail('HUSH_EARG', 'no training rows');
      model = Model.create(spec, { inputShape: train.shape, maxBatch: batchSize, seed });
      if (model.outputSize < train.classes) {
        throw rt.fail('HUSH_ESHAPE', `the model has ${model.outputSize} outputs but the data has ${train.classes} classes`);
      }
      if (standardize) model.setInputNorm(train.normStats());
      const t0 = now();
      const history = await model.fit(train, { epochs, batchSize, lr, optimizer, weightDecay, seed, onEpoch });
      const seconds = (now() - t0) / 1000;
      const tr = model.evaluate(train);
      const te = testRows ? model.evaluate(test) : { loss: 0, accuracy: 0 };
      const result = {
        model, history, seed, epochs, batch: batchSize, params: model.paramCount, trainRows, testRows,
        finalLoss: history.length ? history[history.length - 1].loss : NaN,
        trainAccuracy: tr.accuracy, testAccuracy: te.accuracy, testLoss: te.loss,
        examplesPerSecond: seconds > 0 ? (trainRows * epochs) / seconds : 0, seconds,
      };
      model = null;
      return result;
    } finally {
      if (model) model.free();
      for (const d of owned) d.free();
    }
  };
}
