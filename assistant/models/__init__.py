"""Models: model names in, verified offline model folders out.

In:  the model specs (embedding model, LLM GGUF) and the cache folder from Settings.
Out: checksummed model folders assembled from PyPI wheels (cache), and the int8 ONNX export of
     the embedding model, checked against PyTorch (onnx_export). Running the models is search/
     and answer/'s business.
"""
