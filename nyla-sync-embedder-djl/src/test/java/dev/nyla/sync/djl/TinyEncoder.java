package dev.nyla.sync.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A tiny sentence encoder in DJL format for the PyTorch path: each token id looks up a learned vector, as a
 * transformer's first layer does, and the sequence of them is the "last hidden state" the embedding
 * translator pools. Its weights are random; what matters is that it runs on the PyTorch engine from files
 * saved and loaded back, like any DJL-format model.
 */
final class TinyEncoder extends AbstractBlock {
    static final int VOCABULARY = 30522;
    static final int HIDDEN = 64;

    private final Parameter weight;

    TinyEncoder() {
        super((byte) 1);
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(VOCABULARY, HIDDEN)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                                     PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray table = store.getValue(weight, ids.getDevice(), training);
        // One-hot rows times the table: a lookup the engine computes with plain matrix ops.
        NDArray hidden = ids.oneHot(VOCABULARY, DataType.FLOAT32).matMul(table);
        return new NDList(hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), HIDDEN)};
    }
}
