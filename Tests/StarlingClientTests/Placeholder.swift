import Testing

@Test func clientTargetsBuild() {}
