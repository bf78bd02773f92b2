// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Controls from './Controls.svelte';
import ErrorPanel from './ErrorPanel.svelte';
import ModelPicker from './ModelPicker.svelte';
import StatusLine from './StatusLine.svelte';
import type { CatalogGroup } from '../models/catalog.ts';

const groups: CatalogGroup[] = [
  { title: 'Bundled models', models: [] },
  {
    title: 'Distill reference models',
    models: [
      { id: 'a', name: 'Lizard', url: 'http://x/a.safetensors', group: 'Distill reference models' },
      { id: 'b', name: 'Butterfly', url: 'http://x/b.safetensors', group: 'Distill reference models' },
    ],
  },
];

describe('ModelPicker', () => {
  it('lists each non-empty group and reports the pick', async () => {
    const picked: string[] = [];
    render(ModelPicker, { groups, selected: 'http://x/a.safetensors', onselect: (url: string) => picked.push(url), onfile: () => {} });
    const select = screen.getByTestId('model-select') as HTMLSelectElement;
    expect([...select.querySelectorAll('optgroup')].map((g) => g.label)).toEqual(['Distill reference models']);
    expect([...select.options].map((o) => o.textContent)).toEqual(['Lizard', 'Butterfly']);
    expect(select.value).toBe('http://x/a.safetensors');
    await fireEvent.change(select, { target: { value: 'http://x/b.safetensors' } });
    expect(picked).toEqual(['http://x/b.safetensors']);
  });

  it('hands an opened file over', async () => {
    const files: string[] = [];
    render(ModelPicker, { groups, selected: '', onselect: () => {}, onfile: (file: File) => files.push(file.name) });
    const input = screen.getByTestId('file-input') as HTMLInputElement;
    const file = new File([new Uint8Array([1, 2])], 'mine.safetensors');
    Object.defineProperty(input, 'files', { value: [file] });
    await fireEvent.change(input);
    expect(files).toEqual(['mine.safetensors']);
    expect(screen.getByText('(opened file)')).toBeTruthy();
  });
});

describe('ErrorPanel', () => {
  it('shows the message until dismissed', async () => {
    let dismissed = 0;
    const { rerender } = render(ErrorPanel, {
      message: "bad.safetensors: tensor 'dense1.weight' has shape [3], expected [48, 128]",
      ondismiss: () => dismissed++,
    });
    expect(screen.getByRole('alert').textContent).toContain("tensor 'dense1.weight' has shape [3]");
    await fireEvent.click(screen.getByLabelText('Dismiss the error'));
    expect(dismissed).toBe(1);
    await rerender({ message: null, ondismiss: () => {} });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('StatusLine', () => {
  const info = {
    engine: 'fused' as const,
    fallbackReason: null,
    precision: 'float16' as const,
    precisionNote: 'half-float state: less precise',
    width: 72,
    height: 72,
    channels: 16,
  };

  it('shows steps, speed, engine and the half-float note', () => {
    render(StatusLine, { stats: { steps: 120, stepsPerSecond: 41.6, stepsPerFrame: 1, playing: true }, info, modelName: 'Lizard' });
    expect(screen.getByTestId('steps').textContent).toBe('120');
    expect(screen.getByTestId('steps-per-second').textContent).toBe('42');
    expect(screen.getByTestId('engine').textContent).toBe('fused WebGL');
    expect(screen.getByTestId('precision-note').textContent).toBe('half-float state: less precise');
  });

  it('says why it runs core ops when it does', () => {
    render(StatusLine, {
      stats: { steps: 0, stepsPerSecond: 0, stepsPerFrame: 1, playing: false },
      info: { ...info, engine: 'core', precision: 'float32', precisionNote: null, fallbackReason: '40 channels need 10 render targets' },
      modelName: '',
    });
    expect(screen.getByTestId('engine').textContent).toBe('tfjs ops (core)');
    expect(screen.getByText(/40 channels need 10 render targets/)).toBeTruthy();
    expect(screen.queryByTestId('precision-note')).toBeNull();
  });
});

describe('Controls', () => {
  it('calls play, step and reset, and labels the play button by state', async () => {
    const log: string[] = [];
    render(Controls, {
      playing: true,
      speedIndex: 4,
      brush: 8,
      angle: 0,
      grid: '72x72',
      view: 'colour',
      background: 'white',
      gridChoices: [{ value: '72x72', label: '72 × 72' }],
      viewChoices: [{ value: 'colour', label: 'colour' }],
      ontoggle: () => log.push('toggle'),
      onstep: () => log.push('step'),
      onreset: () => log.push('reset'),
      recording: 'idle',
      onrecord: () => log.push('record'),
    });
    expect(screen.getByTestId('play').textContent?.trim()).toBe('Pause');
    expect(screen.getByTestId('record').textContent?.trim()).toBe('Record');
    await fireEvent.click(screen.getByTestId('play'));
    await fireEvent.click(screen.getByTestId('step'));
    await fireEvent.click(screen.getByTestId('reset'));
    await fireEvent.click(screen.getByTestId('record'));
    expect(log).toEqual(['toggle', 'step', 'reset', 'record']);
    expect(screen.getByText('1 step / frame')).toBeTruthy();
  });
});
