// The two models the browser tests run: the Distill lizard and butterfly when ../shared is there,
// the bundled lizard and butterfly otherwise. Sizes in the tests follow the model's grid.

export interface TestModel {
  /** Its id in the app's catalog (`?model=`). */
  id: string;
  /** Same-origin URL of the weights file. */
  url: string;
  gridWidth: number;
  gridHeight: number;
}

export interface TestModels {
  source: 'Distill' | 'bundled';
  /** A regenerating model: grows, takes damage and regrows. */
  primary: TestModel;
  secondary: TestModel;
}
