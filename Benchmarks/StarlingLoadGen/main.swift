print("starling-loadgen: not built yet")
